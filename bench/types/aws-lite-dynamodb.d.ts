// @aws-lite/dynamodb 0.3.9 ships no types (they are a separate package, @aws-lite/dynamodb-types): the plugin is
// handed to @aws-lite/client as it is, and bench/support/sdk-alternatives/aws-lite.ts types the method it adds.
declare module '@aws-lite/dynamodb' {
  const plugin: object;
  export default plugin;
}
