export function h(k){ Promise.resolve().then(()=>console.log("microtask", k)); return k }
export function bad(){ Promise.resolve().then(()=>{ throw new Error("late") }); return 1 }
export function ok(){ return 2 }
