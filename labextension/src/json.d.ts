/** The transcript schema, shared with Python (jupyter_autogpt/schema/run.schema.json). */
declare module '*.schema.json' {
  const schema: {
    'x-mime-type': string;
    'x-comm-target': string;
    'x-cell-tag': string;
    'x-metadata-key': string;
    properties: { format: { const: string }; version: { const: number } };
    required: string[];
  };
  export default schema;
}

/** The extension's own package.json (its version is sent in the cells channel's hello). */
declare module '*/package.json' {
  const pkg: { name: string; version: string };
  export default pkg;
}
