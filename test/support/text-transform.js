/**
 * Jest's stand-in for esbuild's `text` import attribute: the console's page files (functions/styles/console/assets/)
 * load as their content, a string, exactly as the handler's bundle inlines them.
 */
module.exports = {
  process(sourceText) {
    return { code: `module.exports = ${JSON.stringify(sourceText)};` };
  },
};
