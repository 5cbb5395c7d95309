// mica run examples/handler.js --handler greet --event '{"name":"mica"}'
export function greet(event) {
  return { message: `hello, ${event.name}`, length: event.name.length };
}

export async function later(event) {
  const value = await Promise.resolve(event);
  return { echoed: value };
}
