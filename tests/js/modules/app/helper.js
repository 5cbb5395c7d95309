export default function () { return "helped" }
