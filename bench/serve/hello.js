// make bench-serve: the trivial handler.
export default {
  async fetch(request) {
    return new Response('hello\n');
  },
};
