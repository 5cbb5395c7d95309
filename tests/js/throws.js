function inner(o) {
  return o.x;
}
function outer() {
  return inner(null);
}
outer();
