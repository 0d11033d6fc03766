/** console.js is the page's browser script; the handler imports it as text (see text-imports.d.ts). */
declare const text: string;
export default text;
