// mica serve test fixture: no default export, refused at start.
export function fetch() { return new Response('x'); }
