// mica serve test fixture: a default export without fetch, refused at start.
export default { hello() {} };
