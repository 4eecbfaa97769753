// Layers that point one way, checked in CI (`npm run lint:deps`). Bottom to top:
//   components/lib                       generic helpers (isPlainObject): import nothing of ours
//   components/oci, components/mlflow   libraries: import nothing else of ours but lib
//   components/config                    the stack config (may use the libraries' grammar: image references)
//   components/supply-chain              signing/attestation facts shared by release and platform
//   components/platform, components/release, components/promotion
//   components/stack.ts, index.ts        the composition root
// plus: no cycles, no product code importing test/, the policy pack standing on its own.
const layer = (name, path, mayNotImport) => ({
    name,
    severity: "error",
    comment: `${path} may not import ${mayNotImport}: that arrow runs back up (see .dependency-cruiser.cjs)`,
    from: { path },
    to: { path: mayNotImport },
});

module.exports = {
    forbidden: [
        { name: "no-circular", severity: "error", comment: "import cycles", from: {}, to: { circular: true } },
        {
            name: "no-test-in-product",
            severity: "error",
            comment: "product code (components, policy, scripts, bench, index.ts) must not import from test/",
            from: { path: "^(components|policy|scripts|bench|index\\.ts)" },
            to: { path: "^test/" },
        },
        layer("lib-at-the-bottom", "^components/lib/", "^(components/(?!lib/)|policy|scripts|bench|index\\.ts)"),
        layer("libraries-stand-alone", "^components/(oci|mlflow)/", "^components/(config|supply-chain|platform|release|promotion|stack)"),
        layer("config-below-features", "^components/config/", "^components/(supply-chain|platform|release|promotion|stack)"),
        layer("supply-chain-below-features", "^components/supply-chain/", "^components/(platform|release|promotion|stack|oci)"),
        layer("platform-not-release", "^components/platform/", "^components/(release|promotion|stack)"),
        layer("release-not-platform", "^components/release/", "^components/(platform|promotion|stack)"),
        layer("promotion-not-deploying", "^components/promotion/", "^components/(platform|release|stack)"),
        // The pack runs in the engine's analyzer with nothing but itself; the report writer
        // (policy/report) may read the record types of what it reports (promotion evidence).
        layer("policy-pack-stands-alone", "^policy/(?!report/)", "^(components|index\\.ts)"),
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        exclude: { path: "^(node_modules|test/fixtures)" },
    },
};
