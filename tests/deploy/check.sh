#!/bin/sh
# Static checks of the deployment files; nothing is deployed or built (there
# is no cluster or Docker engine where this runs). tests/deploy/check.py:
#   - every YAML document under deploy/k8s parses (python3's yaml module,
#     Debian python3-yaml) and has apiVersion, kind and metadata.name;
#   - each kustomization (deploy/k8s, base, kvm, process) renders, by a small
#     model of kustomize (resources, configMapGenerator, JSON 6902 patches),
#     and in what it renders: the probes ask /healthz on a port the container
#     declares, the --admin port of its args; --listen is a declared port;
#     the Service selects the pods and targets --listen; the HPA
#     (autoscaling/v2, CPU) targets the Deployment by name; requests and
#     limits; the handler is the key of a mounted ConfigMap; the
#     securityContext; the kvm overlay asks for devices.kubevirt.io/kvm;
#   - deploy/Dockerfile: multi-stage from debian:bookworm, ENTRYPOINT mica
#     serve, EXPOSE = CMD's --listen/--admin ports = the containerPorts and
#     args of the manifests, HEALTHCHECK on /healthz, a numeric USER = the
#     pods' runAsUser, COPY sources exist.
# Prints "ok - ..." / "FAIL - ..." lines and "N passed, N failed, N skipped";
# skips (counted) without a python3 that has the yaml module.
# Usage: tests/deploy/check.sh (from the repository's root)
set -u
cd "$(dirname "$0")/../.." || exit 1
for py in python3 /usr/bin/python3; do
	if command -v "$py" >/dev/null && "$py" -c 'import yaml' 2>/dev/null; then
		exec "$py" -I tests/deploy/check.py .
	fi
done
echo "skip - deploy-check (no python3 with the yaml module: Debian python3-yaml, scripts/deps.sh installs it)"
echo "0 passed, 0 failed, 1 skipped"
