# Static checks of deploy/k8s and deploy/Dockerfile (run by
# tests/deploy/check.sh, which says what it checks). Nothing here talks to a
# cluster or a Docker engine: the files are parsed, the kustomizations
# rendered by a small model of kustomize (resources, configMapGenerator,
# JSON 6902 patches, images; anything else it does not model is a failure, so that
# the model is extended rather than silently wrong), and what they say
# compared. Prints "ok - NAME" or "FAIL - NAME: why" per check, then
# "N passed, N failed, N skipped". Usage: check.py [REPO_ROOT]
import copy
import json
import os
import re
import shlex
import sys

import yaml

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
K8S = os.path.join(ROOT, "deploy", "k8s")
DOCKERFILE = os.path.join(ROOT, "deploy", "Dockerfile")
passed = failed = skipped = 0


def rel(path):
    return os.path.relpath(path, ROOT)


def ok(name):
    global passed
    passed += 1
    print("ok - " + name)


def bad(name, why):
    global failed
    failed += 1
    print("FAIL - %s: %s" % (name, why))


def check(name, cond, why):
    if cond:
        ok(name)
    else:
        bad(name, why)
    return cond


class Refused(Exception):
    pass


# ---- every YAML document under deploy/k8s ----
def yaml_files():
    out = []
    for d, dirs, files in os.walk(K8S):
        dirs.sort()
        out += [os.path.join(d, f) for f in sorted(files) if f.endswith((".yaml", ".yml"))]
    return out


def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


files = yaml_files()
check("yaml files found", files, "no .yaml under %s" % rel(K8S))
for path in files:
    try:
        docs = load_docs(path)
    except (yaml.YAMLError, OSError) as e:
        bad("parse %s" % rel(path), str(e).replace("\n", " "))
        continue
    ok("parse %s (%d document%s)" % (rel(path), len(docs), "" if len(docs) == 1 else "s"))
    for i, d in enumerate(docs):
        what = "%s#%d" % (rel(path), i + 1)
        missing = []
        if not isinstance(d, dict):
            missing = ["a mapping"]
        else:
            for k in ("apiVersion", "kind"):
                if not isinstance(d.get(k), str) or not d.get(k):
                    missing.append(k)
            md = d.get("metadata")
            if not isinstance(md, dict) or not isinstance(md.get("name"), str) or not md.get("name"):
                missing.append("metadata.name")
        check("fields %s (%s)" % (what, d.get("kind", "?") if isinstance(d, dict) else "?"),
              not missing, "missing " + ", ".join(missing))


# ---- a model of kustomize: what it renders ----
def pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise Refused("JSON pointer %r does not start with /" % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def walk(doc, parts, path):
    cur = doc
    for p in parts:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise Refused("%s: no %r" % (path, p))
    return cur


def json6902(doc, ops):
    for op in ops:
        kind, path = op.get("op"), op.get("path", "")
        parts = pointer(path)
        if kind not in ("add", "replace", "remove", "test"):
            raise Refused("op %r is not modelled by this check" % kind)
        if kind == "test":
            got = walk(doc, parts, path)
            if got != op.get("value"):
                raise Refused("test %s: %r, not %r" % (path, got, op.get("value")))
            continue
        if not parts:
            raise Refused("%s of the whole document" % kind)
        parent = walk(doc, parts[:-1], path)
        last = parts[-1]
        if isinstance(parent, dict):
            if kind != "add" and last not in parent:
                raise Refused("%s %s: no such member" % (kind, path))
            if kind == "remove":
                del parent[last]
            else:
                parent[last] = copy.deepcopy(op.get("value"))
        elif isinstance(parent, list):
            if last == "-" and kind == "add":
                parent.append(copy.deepcopy(op.get("value")))
                continue
            if not last.isdigit() or int(last) > len(parent) - (kind != "add"):
                raise Refused("%s %s: bad index" % (kind, path))
            i = int(last)
            if kind == "add":
                parent.insert(i, copy.deepcopy(op.get("value")))
            elif kind == "replace":
                parent[i] = copy.deepcopy(op.get("value"))
            else:
                del parent[i]
        else:
            raise Refused("%s: the parent is neither a mapping nor a list" % path)


def matches(obj, target):
    api = obj.get("apiVersion", "")
    group, _, version = api.rpartition("/")
    for key, val in (("kind", obj.get("kind")), ("name", obj.get("metadata", {}).get("name")),
                     ("group", group), ("version", version)):
        if key in target and target[key] != val:
            return False
    unknown = set(target) - {"kind", "name", "group", "version"}
    if unknown:
        raise Refused("patch target keys not modelled: %s" % ", ".join(sorted(unknown)))
    return True


KNOWN = {"apiVersion", "kind", "metadata", "resources", "configMapGenerator", "patches", "images"}


def set_images(objs, images):
    """kustomize's images transformer, on the pods' containers."""
    for im in images:
        for o in objs:
            pod = ((o.get("spec") or {}).get("template") or {}).get("spec") or {}
            for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
                ref = c.get("image", "")
                name = re.sub(r"@.*$", "", ref)
                name, tag = (name.rsplit(":", 1) + [""])[:2] if ":" in name.split("/")[-1] else (name, "")
                if name != im.get("name"):
                    continue
                new = im.get("newName", name)
                if "digest" in im:
                    c["image"] = "%s@%s" % (new, im["digest"])
                else:
                    t = im.get("newTag", tag)
                    c["image"] = new + (":" + t if t else "")


def render(d, seen=()):
    """The objects kustomize would build from directory d (names of
    generated ConfigMaps without the hash suffix kustomize adds)."""
    d = os.path.abspath(d)
    if d in seen:
        raise Refused("%s includes itself" % rel(d))
    kf = [f for f in ("kustomization.yaml", "kustomization.yml", "Kustomization") if os.path.exists(os.path.join(d, f))]
    if not kf:
        raise Refused("%s has no kustomization.yaml" % rel(d))
    docs = load_docs(os.path.join(d, kf[0]))
    if len(docs) != 1 or not isinstance(docs[0], dict):
        raise Refused("%s/%s: one mapping expected" % (rel(d), kf[0]))
    k = docs[0]
    if k.get("apiVersion") != "kustomize.config.k8s.io/v1beta1" or k.get("kind") != "Kustomization":
        raise Refused("%s: not a kustomize.config.k8s.io/v1beta1 Kustomization" % rel(d))
    extra = set(k) - KNOWN
    if extra:
        raise Refused("%s: fields this check does not model: %s" % (rel(d), ", ".join(sorted(extra))))
    objs = []
    for r in k.get("resources") or []:
        p = os.path.normpath(os.path.join(d, r))
        if "://" in r or not p.startswith(K8S):
            raise Refused("%s: resource %r is outside deploy/k8s" % (rel(d), r))
        if os.path.isdir(p):
            objs += render(p, seen + (d,))
        elif os.path.isfile(p):
            objs += load_docs(p)
        else:
            raise Refused("%s: resource %r does not exist" % (rel(d), r))
    for g in k.get("configMapGenerator") or []:
        data = {}
        for f in g.get("files") or []:
            key, _, path = f.rpartition("=")
            path = os.path.join(d, path)
            if not os.path.isfile(path):
                raise Refused("%s: configMapGenerator %s: no file %s" % (rel(d), g.get("name"), rel(path)))
            with open(path) as fh:
                data[key or os.path.basename(path)] = fh.read()
        for lit in g.get("literals") or []:
            key, _, val = lit.partition("=")
            data[key] = val
        objs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": g.get("name")}, "data": data})
    for p in k.get("patches") or []:
        if "patch" in p:
            body = yaml.safe_load(p["patch"])
        elif "path" in p:
            body = load_docs(os.path.join(d, p["path"]))
            body = body[0] if len(body) == 1 else body
        else:
            raise Refused("%s: a patch with neither patch nor path" % rel(d))
        if not isinstance(body, list):
            raise Refused("%s: strategic merge patches are not modelled by this check; use JSON 6902" % rel(d))
        target = p.get("target")
        if not isinstance(target, dict):
            raise Refused("%s: a JSON 6902 patch needs a target" % rel(d))
        hit = [o for o in objs if matches(o, target)]
        if not hit:
            raise Refused("%s: patch target %s matches nothing" % (rel(d), target))
        for o in hit:
            json6902(o, body)
    set_images(objs, k.get("images") or [])
    return objs


# ---- checks of one rendered kustomization ----
def opt(args, name):
    """The value of --name in an argument list (--name V or --name=V)."""
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def port_of(hostport):
    if hostport is None:
        return None
    m = re.match(r"^(.*):(\d+)$", hostport)
    return int(m.group(2)) if m else None


def resolve_port(container, port):
    """A probe's or Service's port (name or number) as a declared
    containerPort number, or None."""
    for p in container.get("ports") or []:
        if port == p.get("name") or port == p.get("containerPort"):
            return p.get("containerPort")
    return None


def selected(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_render(tag, objs):
    by_kind = {}
    for o in objs:
        by_kind.setdefault(o.get("kind"), []).append(o)
    names = [(o.get("kind"), o.get("metadata", {}).get("name")) for o in objs]
    check(tag + ": unique kind/name", len(names) == len(set(names)), "duplicates in %s" % names)
    deps = by_kind.get("Deployment", [])
    if not check(tag + ": one Deployment", len(deps) == 1, "%d Deployments" % len(deps)):
        return None
    dep = deps[0]
    dname = dep["metadata"]["name"]
    spec = dep.get("spec", {})
    tmpl = spec.get("template", {})
    pod = tmpl.get("spec", {})
    labels = tmpl.get("metadata", {}).get("labels") or {}
    containers = pod.get("containers") or []
    if not check(tag + ": one container", len(containers) == 1, "%d containers" % len(containers)):
        return None
    c = containers[0]
    args = [str(a) for a in c.get("args") or []]
    check(tag + ": Deployment selector selects its pods",
          selected(spec.get("selector", {}).get("matchLabels"), labels),
          "selector %s, pod labels %s" % (spec.get("selector"), labels))

    # probes: on a declared port, the one --admin listens on
    admin = port_of(opt(args, "--admin"))
    listen = port_of(opt(args, "--listen"))
    check(tag + ": args have --admin HOST:PORT", admin is not None, "args %s" % args)
    check(tag + ": args have --listen HOST:PORT", listen is not None, "args %s" % args)
    declared = {p.get("containerPort") for p in c.get("ports") or []}
    check(tag + ": --admin port is a declared containerPort", admin in declared,
          "--admin port %s, containerPorts %s" % (admin, sorted(declared)))
    check(tag + ": --listen port is a declared containerPort", listen in declared,
          "--listen port %s, containerPorts %s" % (listen, sorted(declared)))
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        pr = c.get(probe)
        if pr is None:
            if probe != "startupProbe":
                bad("%s: %s" % (tag, probe), "none")
            continue
        get = pr.get("httpGet") or {}
        num = resolve_port(c, get.get("port"))
        check("%s: %s is GET /healthz on a declared port" % (tag, probe),
              get.get("path") == "/healthz" and num is not None,
              "httpGet %s, containerPorts %s" % (get, sorted(declared)))
        check("%s: %s port is the --admin port" % (tag, probe), num is not None and num == admin,
              "probe port %s (%s), --admin port %s" % (get.get("port"), num, admin))

    # resources
    res = c.get("resources") or {}
    missing = ["%s.%s" % (a, b) for a in ("requests", "limits") for b in ("cpu", "memory")
               if b not in (res.get(a) or {})]
    check(tag + ": cpu and memory requests and limits", not missing, "missing " + ", ".join(missing))

    # the handler: FILE (args[0]) is a key of a ConfigMap mounted where it says
    cms = {o["metadata"]["name"]: o for o in by_kind.get("ConfigMap", [])}
    vols = {v.get("name"): v for v in pod.get("volumes") or []}
    handler = args[0] if args and not args[0].startswith("-") else None
    found = None
    for m in c.get("volumeMounts") or []:
        v = vols.get(m.get("name")) or {}
        cm = (v.get("configMap") or {}).get("name")
        mp = m.get("mountPath", "").rstrip("/")
        if cm and handler and handler.startswith(mp + "/"):
            found = (cm, handler[len(mp) + 1:], m)
    if check(tag + ": the handler file is on a ConfigMap volume", found,
             "args[0] %r, mounts %s" % (handler, c.get("volumeMounts"))):
        cm, key, m = found
        check(tag + ": the handler's ConfigMap exists and has the file", cm in cms and key in cms[cm].get("data", {}),
              "ConfigMap %s%s" % (cm, "" if cm in cms else " not rendered") + (
                  "" if cm not in cms else ", keys %s" % sorted(cms[cm].get("data", {}))))
        check(tag + ": the handler mount is read-only", m.get("readOnly") is True, "readOnly %s" % m.get("readOnly"))

    # security
    psc, csc = pod.get("securityContext") or {}, c.get("securityContext") or {}
    seccomp = (csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
    problems = []
    if not (csc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
        problems.append("runAsNonRoot is not true")
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    if not isinstance(uid, int) or uid == 0:
        problems.append("runAsUser %r" % uid)
    if csc.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if csc.get("privileged"):
        problems.append("privileged")
    if "ALL" not in ((csc.get("capabilities") or {}).get("drop") or []):
        problems.append("capabilities do not drop ALL")
    if (csc.get("capabilities") or {}).get("add"):
        problems.append("capabilities added: %s" % csc["capabilities"]["add"])
    if csc.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if seccomp not in ("RuntimeDefault", "Localhost"):
        problems.append("seccompProfile %s" % seccomp)
    if any("hostPath" in v for v in vols.values()):
        problems.append("a hostPath volume")
    for k in ("hostPID", "hostIPC", "hostNetwork"):
        if pod.get(k):
            problems.append(k)
    check(tag + ": securityContext (non-root, no escalation, no capabilities, read-only root, seccomp %s)" % seccomp,
          not problems, "; ".join(problems))

    # Service -> the pods, on the --listen port
    svcs = by_kind.get("Service", [])
    if check(tag + ": one Service", len(svcs) == 1, "%d Services" % len(svcs)):
        s = svcs[0]["spec"]
        check(tag + ": Service selects the Deployment's pods", selected(s.get("selector"), labels),
              "selector %s, pod labels %s" % (s.get("selector"), labels))
        tports = [resolve_port(c, p.get("targetPort", p.get("port"))) for p in s.get("ports") or []]
        check(tag + ": Service targetPort is the --listen port", tports and all(t == listen for t in tports),
              "targetPorts resolve to %s, --listen port %s" % (tports, listen))

    # HPA -> the Deployment, on CPU, which needs a CPU request
    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    if check(tag + ": one HorizontalPodAutoscaler", len(hpas) == 1, "%d" % len(hpas)):
        h = hpas[0]
        ref = h.get("spec", {}).get("scaleTargetRef", {})
        check(tag + ": HPA is autoscaling/v2", h.get("apiVersion") == "autoscaling/v2", h.get("apiVersion"))
        check(tag + ": HPA targets the Deployment by name",
              ref.get("kind") == "Deployment" and ref.get("name") == dname and ref.get("apiVersion") == "apps/v1",
              "scaleTargetRef %s, Deployment %s" % (ref, dname))
        cpu = [m for m in h["spec"].get("metrics") or []
               if m.get("type") == "Resource" and (m.get("resource") or {}).get("name") == "cpu"]
        check(tag + ": HPA scales on CPU utilization, which the container requests",
              cpu and "cpu" in (res.get("requests") or {}), "metrics %s, requests %s" % (
                  h["spec"].get("metrics"), res.get("requests")))
        mn, mx = h["spec"].get("minReplicas", 1), h["spec"].get("maxReplicas")
        check(tag + ": HPA minReplicas <= maxReplicas, Deployment leaves replicas to it",
              isinstance(mx, int) and mn <= mx and "replicas" not in spec,
              "min %s max %s, Deployment replicas %s" % (mn, mx, spec.get("replicas")))
    for pdb in by_kind.get("PodDisruptionBudget", []):
        check(tag + ": PodDisruptionBudget selects the Deployment's pods",
              selected(pdb.get("spec", {}).get("selector", {}).get("matchLabels"), labels),
              "selector %s, pod labels %s" % (pdb.get("spec", {}).get("selector"), labels))
    return dep


def env_of(c, name):
    for e in c.get("env") or []:
        if e.get("name") == name:
            return e.get("value")
    return None


renders = {}
kdirs = sorted({os.path.dirname(p) for p in files if os.path.basename(p) in ("kustomization.yaml", "kustomization.yml")})
for d in kdirs:
    tag = rel(d)
    try:
        objs = render(d)
    except (Refused, yaml.YAMLError, OSError) as e:
        bad("render " + tag, str(e).replace("\n", " "))
        continue
    ok("render %s (%s)" % (tag, ", ".join("%s/%s" % (o.get("kind"), o.get("metadata", {}).get("name")) for o in objs)))
    dep = check_render(tag, objs)
    if dep:
        renders[tag] = dep

# each backend's overlay pins it, and the KVM one asks for /dev/kvm
for name, want in (("kvm", "kvm"), ("process", "process")):
    tag = rel(os.path.join(K8S, name))
    if tag not in renders:
        bad(tag + ": overlay", "not rendered")
        continue
    c = renders[tag]["spec"]["template"]["spec"]["containers"][0]
    check(tag + ": MICA_BACKEND=" + want, env_of(c, "MICA_BACKEND") == want, "MICA_BACKEND=%s" % env_of(c, "MICA_BACKEND"))
    kvm = (c.get("resources", {}).get("limits") or {}).get("devices.kubevirt.io/kvm")
    if name == "kvm":
        check(tag + ": limits devices.kubevirt.io/kvm", str(kvm) == "1", "limit %r" % kvm)
    else:
        check(tag + ": no /dev/kvm resource", kvm is None, "limit %r" % kvm)


# ---- deploy/Dockerfile ----
def dockerfile(path):
    """[(stage index, INSTRUCTION, rest)], continuation lines joined."""
    out, stage, cur = [], -1, ""
    with open(path) as f:
        for line in f:
            s = line.rstrip("\n")
            if not cur and (not s.strip() or s.lstrip().startswith("#")):
                continue
            if s.endswith("\\"):
                cur += s[:-1] + " "
                continue
            cur += s
            word, _, rest = cur.strip().partition(" ")
            word = word.upper()
            if word == "FROM":
                stage += 1
            out.append((stage, word, rest.strip()))
            cur = ""
    return out


def exec_form(rest, what):
    try:
        v = json.loads(rest)
    except ValueError:
        raise Refused("%s is not in exec (JSON) form: %s" % (what, rest))
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise Refused("%s is not a JSON list of strings" % what)
    return v


if not os.path.isfile(DOCKERFILE):
    bad("Dockerfile", "no " + rel(DOCKERFILE))
else:
    ins = dockerfile(DOCKERFILE)
    froms = [r for s, w, r in ins if w == "FROM"]
    last = max(s for s, _, _ in ins)
    final = [(w, r) for s, w, r in ins if s == last]

    def one(word):
        v = [r for w, r in final if w == word]
        return v[-1] if v else None

    check("Dockerfile: multi-stage from debian:bookworm",
          len(froms) >= 2 and re.match(r"^debian:bookworm\S* +AS +\S+$", froms[0], re.I)
          and re.match(r"^debian:bookworm(-slim)?$", froms[-1]),
          "FROM lines %s" % froms)
    try:
        ep = exec_form(one("ENTRYPOINT") or "null", "ENTRYPOINT")
        cmd = exec_form(one("CMD") or "[]", "CMD")
    except Refused as e:
        bad("Dockerfile: ENTRYPOINT and CMD", str(e))
        ep, cmd = None, []
    if ep is not None:
        check("Dockerfile: ENTRYPOINT is mica serve", len(ep) == 2 and os.path.basename(ep[0]) == "mica" and ep[1] == "serve",
              "ENTRYPOINT %s" % ep)
    expose = set()
    for w, r in final:
        if w == "EXPOSE":
            for p in r.split():
                m = re.match(r"^(\d+)(/tcp)?$", p)
                if m:
                    expose.add(int(m.group(1)))
                else:
                    bad("Dockerfile: EXPOSE", "cannot read %r" % p)
    c_admin, c_listen = port_of(opt(cmd, "--admin")), port_of(opt(cmd, "--listen"))
    check("Dockerfile: EXPOSE is CMD's --listen and --admin ports", expose and expose == {c_admin, c_listen},
          "EXPOSE %s, CMD --listen %s --admin %s" % (sorted(expose), c_listen, c_admin))
    hc = one("HEALTHCHECK") or ""
    check("Dockerfile: HEALTHCHECK asks /healthz on the --admin port",
          "/healthz" in hc and re.search(r"[:/]%s\b" % c_admin, hc) is not None,
          "HEALTHCHECK %s" % hc)
    user = one("USER") or ""
    uid = user.split(":")[0]
    check("Dockerfile: USER is a numeric non-root uid", uid.isdigit() and int(uid) != 0, "USER %r" % user)
    for s, w, r in ins:
        if w == "COPY" and "--from=" not in r:
            srcs = [a for a in shlex.split(r) if not a.startswith("--")][:-1]
            for src in srcs:
                check("Dockerfile: COPY source %s exists" % src, os.path.exists(os.path.join(ROOT, src)),
                      "no %s in the repository" % src)
    for s, w, r in ins:
        for script in re.findall(r"(?:^|[\s&;])((?:deploy|scripts)/[\w./-]+\.sh)", r):
            check("Dockerfile: %s is there and executable" % script,
                  os.access(os.path.join(ROOT, script), os.X_OK), "not an executable file")
    # the image and the manifests agree
    for tag, dep in sorted(renders.items()):
        c = dep["spec"]["template"]["spec"]["containers"][0]
        args = [str(a) for a in c.get("args") or []]
        ports = {p.get("containerPort") for p in c.get("ports") or []}
        check(tag + ": the container keeps the image's ENTRYPOINT (no command)", "command" not in c,
              "command %s" % c.get("command"))
        check(tag + ": containerPorts are the image's EXPOSE", ports == expose,
              "containerPorts %s, EXPOSE %s" % (sorted(ports), sorted(expose)))
        check(tag + ": --listen and --admin ports are the image's",
              port_of(opt(args, "--listen")) == c_listen and port_of(opt(args, "--admin")) == c_admin,
              "args --listen %s --admin %s, image CMD --listen %s --admin %s" % (
                  opt(args, "--listen"), opt(args, "--admin"), c_listen, c_admin))
        psc = dep["spec"]["template"]["spec"].get("securityContext") or {}
        run_as = (c.get("securityContext") or {}).get("runAsUser", psc.get("runAsUser"))
        check(tag + ": runAsUser is the image's USER", uid.isdigit() and run_as == int(uid),
              "runAsUser %s, USER %s" % (run_as, user))

print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed else 0)
