// ESLint (flat config): typescript-eslint's recommended rules, jsdoc on the public surface, and
// lines within 140 characters (prettier's width; long strings, template literals and regular
// expressions excepted, since breaking them helps nobody). `npm test` runs it.
import js from "@eslint/js";
import jsdoc from "eslint-plugin-jsdoc";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "policies/node_modules/", ".leasehold/", "test/fixtures/", "bin/", "bench/peak-rss.js", "policies/index.js", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.mts"],
    plugins: { jsdoc },
    rules: {
      "max-len": ["error", { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
      // Every exported declaration, interface and interface field says what it is.
      "jsdoc/require-jsdoc": [
        "error",
        {
          publicOnly: true,
          require: { FunctionDeclaration: true, ClassDeclaration: true, MethodDefinition: false },
          contexts: [
            "TSInterfaceDeclaration",
            "TSTypeAliasDeclaration",
            "TSPropertySignature",
            "ExportNamedDeclaration > VariableDeclaration",
            // A component's outputs: the public fields of an exported class.
            "ExportNamedDeclaration > ClassDeclaration > ClassBody > PropertyDefinition[accessibility='public']",
          ],
        },
      ],
      // The lazy require()s are deliberate: the AWS SDK and the Pulumi runtime load only when a command needs them.
      "@typescript-eslint/no-require-imports": "off",
      "jsdoc/no-bad-blocks": "error",
      "jsdoc/check-alignment": "error",
      "jsdoc/multiline-blocks": "error",
    },
  },
  {
    // Tests: their own helpers need no public docs.
    files: ["test/**/*.ts", "bench/**/*.ts", "scripts/**/*.ts"],
    rules: { "jsdoc/require-jsdoc": "off", "@typescript-eslint/no-explicit-any": "off" },
  },
);
