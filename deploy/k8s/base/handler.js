// The handler these manifests serve: kustomization.yaml makes it the
// ConfigMap mica-handler (with a hash of its content in the name, so that a
// change rolls the pods), mounted at /etc/mica. Replace it with your own, or
// replace the generator in an overlay (docs/deploy.md).
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return new Response(`hello from mica: ${request.method} ${url.pathname}\n`, {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  },
};
