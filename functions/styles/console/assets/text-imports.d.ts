/**
 * The console's files are imported as text (`with { type: 'text' }`, esbuild's text loader; jest's transform
 * test/support/text-transform.js does the same): each module's default export is the file's content.
 */
declare module '*.html' {
  const text: string;
  export default text;
}
declare module '*.css' {
  const text: string;
  export default text;
}
