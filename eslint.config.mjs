// ESLint (flat config), typescript-eslint's type-aware rules over the whole tree: `npm run lint`.
// Layout is Prettier's job (`npm run format:check`); nothing here is about formatting.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "bin/", "out/", "reports/", "tools/", "test/fixtures/", "**/*.js", "**/*.cjs", "**/*.mjs"] },
    eslint.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
            // `_`-prefixed names are deliberately unused (interface-shaped parameters, skipped tuple items).
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
        },
    },
    {
        // Tests read JSON, YAML and engine output of arbitrary shape and assert on it with chai, whose
        // API is `any`-typed: the no-unsafe family would flag every such read without finding bugs.
        // Product code (components, policy, scripts, bench, index.ts) keeps the full set.
        files: ["test/**/*.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-return": "off",
            // chai's property assertions (`expect(x).to.be.empty`) are expressions by design.
            "@typescript-eslint/no-unused-expressions": "off",
            // Fakes implement async interfaces (composers, generators of body chunks) without awaiting.
            "@typescript-eslint/require-await": "off",
        },
    },
);
