import { expect } from "chai";
import { stackConfigSchema } from "../../components/config/schema";
import { closestKey, formatConfigProblems, formatPath, validateStackConfig } from "../../components/config/validate";
import * as fs from "fs";
import * as path from "path";
import { allSecrets, busybox, noSecrets, projectRoot, stackFileRaw, testPublicKeyPem, validRaw } from "./fixtures";

function problemsOf(raw: unknown, secrets = noSecrets): string[] {
    const result = validateStackConfig(raw, secrets);
    if (result.ok) {
        throw new Error("expected validation to fail");
    }
    return result.problems.map((p) => p.message);
}

const keyRefHint =
    'a cosign key reference: a file path ("cosign.key"), "env://VAR", or a KMS URI ("awskms://…", "gcpkms://…", "azurekms://…", "hashivault://…", "k8s://ns/secret")';

describe("validateStackConfig", () => {
    describe("a valid config", () => {
        it("parses with the defaults applied (security defaults on)", () => {
            const result = validateStackConfig(validRaw(), noSecrets);
            expect(result.ok).to.equal(true);
            if (!result.ok) return;
            const cfg = result.config;
            expect(cfg.signing).to.deep.equal({
                enabled: true,
                key: "env://COSIGN_PRIVATE_KEY",
                publicKey: testPublicKeyPem,
                transparencyLog: false,
                signatureFormat: "bundle",
                cosignVersion: 2,
                attestProvenance: true,
                requiredProvenance: [],
            });
            expect(cfg.platform.kserve).to.deep.include({ version: "v0.20.0", deploymentMode: "Knative", chartRepository: "oci://ghcr.io/kserve/charts" });
            expect(cfg.platform.kserve.modelcar).to.deep.equal({ uid: 1010, cpu: "10m", memory: "15Mi" });
            expect(cfg.platform.argocd.chart).to.deep.equal({ repository: "https://argoproj.github.io/argo-helm", name: "argo-cd", version: "9.4.17" });
            expect(cfg.platform.kyverno.chart.version).to.equal("3.9.0");
            expect(cfg.registry).to.deep.equal({ host: "localhost:5000", repositoryPrefix: "modelship", plainHttp: true, insecure: false, concurrency: 4 });
            expect(cfg.models[0]).to.deep.include({ name: "iris", namespace: "models", project: "default", builder: "daemonless" });
            expect(cfg.models[0].resources).to.deep.equal({ cpu: "1", memory: "2Gi" });
        });

        it("accepts plain HTTP to a non-local registry when insecure is set explicitly", () => {
            const raw = validRaw();
            raw.registry = { host: "registry.lab.internal:5000", repositoryPrefix: "ml", plainHttp: true, insecure: true };
            expect(validateStackConfig(raw, noSecrets).ok).to.equal(true);
        });

        it("accepts plain HTTP to any loopback address, as the registry client does", () => {
            for (const host of ["127.0.0.2:5000", "[::1]:5000", "localhost"]) {
                const raw = validRaw();
                raw.registry = { host, repositoryPrefix: "ml", plainHttp: true };
                expect(validateStackConfig(raw, noSecrets).ok, host).to.equal(true);
            }
        });

        it("accepts signing off without keys", () => {
            const raw = validRaw();
            raw.signing = { enabled: false };
            expect(validateStackConfig(raw, noSecrets).ok).to.equal(true);
        });

        it("recognises file, env:// and KMS key references", () => {
            for (const key of [
                "cosign.key",
                "keys/dev.key",
                "env://COSIGN_KEY",
                "awskms:///alias/x",
                "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k",
                "azurekms://v.vault.azure.net/k",
                "hashivault://transit-key",
                "k8s://ns/secret",
            ]) {
                const raw = validRaw();
                raw.signing.key = key;
                expect(validateStackConfig(raw, noSecrets).ok, key).to.equal(true);
            }
        });

        it("accepts a Standard-mode canary on KServe v0.20", () => {
            const raw = validRaw();
            raw.platform = { kserve: { deploymentMode: "Standard" } };
            raw.models[0].canary = { version: "v2", modelDir: "models/iris/v2", trafficPercent: 0 };
            expect(validateStackConfig(raw, noSecrets).ok).to.equal(true);
        });

        it("accepts registry credentials when the password secret is present", () => {
            const raw = validRaw();
            raw.registry = { host: "ghcr.io", repositoryPrefix: "org/models", username: "bot" };
            expect(validateStackConfig(raw, { registryPassword: true, signingKeyPassword: false }).ok).to.equal(true);
        });
    });

    describe("the shipped stack files", () => {
        it("Pulumi.dev.yaml validates: local plain-HTTP registry, offline signing, Knative", () => {
            const result = validateStackConfig(stackFileRaw("dev"), noSecrets);
            expect(result.ok, JSON.stringify(result)).to.equal(true);
            if (!result.ok) return;
            expect(result.config.registry).to.deep.include({ host: "localhost:5000", plainHttp: true });
            expect(result.config.signing).to.deep.include({ enabled: true, key: "cosign.key", transparencyLog: false });
            expect(result.config.platform.kserve.deploymentMode).to.equal("Knative");
            expect(result.config.models.map((m) => [m.name, m.modelDir])).to.deep.equal([["iris", "models/iris/v1"]]);
            expect(result.config.models[0].canary).to.deep.equal({ version: "v2", modelDir: "models/iris/v2", trafficPercent: 10 });
        });

        it("Pulumi.prod.yaml validates once the registry password secret is set: TLS registry, KMS key, Rekor, Standard", () => {
            const result = validateStackConfig(stackFileRaw("prod"), allSecrets);
            expect(result.ok, JSON.stringify(result)).to.equal(true);
            if (!result.ok) return;
            expect(result.config.registry).to.deep.include({ host: "ghcr.io", plainHttp: false, username: "modelship-bot" });
            expect(result.config.signing).to.deep.include({ key: "awskms:///alias/modelship-cosign", transparencyLog: true });
            expect(result.config.platform.kserve.deploymentMode).to.equal("Standard");
            expect(result.config.models[0].canary).to.deep.equal({ version: "v2", modelDir: "models/iris/v2", trafficPercent: 5 });
        });

        it("every model directory the stack files name exists in the repository", () => {
            for (const stack of ["dev", "prod"] as const) {
                for (const m of stackFileRaw(stack).models) {
                    for (const dir of [m.modelDir, m.canary?.modelDir].filter(Boolean)) {
                        expect(fs.statSync(path.join(projectRoot, dir)).isDirectory(), `${stack}: ${dir}`).to.equal(true);
                    }
                }
            }
        });

        it("Pulumi.prod.yaml without the registry password secret names the missing secret and the command", () => {
            expect(problemsOf(stackFileRaw("prod"))).to.deep.equal([
                'registryPassword is required when registry.username is set ("modelship-bot"): run `pulumi config set --secret modelship:registryPassword` (or remove registry.username for an anonymous registry)',
            ]);
        });
    });

    describe("bad configs, one change each, with their exact messages", () => {
        const cases: { name: string; change: (raw: Record<string, any>) => void; secrets?: typeof noSecrets; expected: string[] }[] = [
            {
                name: "unpinned base image",
                change: (r) => (r.models[1].baseImage = "docker.io/library/busybox:1.37"),
                expected: ["models[1].baseImage must be pinned by digest, e.g. docker.io/library/busybox@sha256:<64 hex>"],
            },
            {
                name: "base image pinned but not a valid reference (uppercase repository)",
                change: (r) => (r.models[0].baseImage = `Busybox@sha256:${"a".repeat(64)}`),
                expected: [
                    `models[0].baseImage is not a valid image reference: invalid image reference "Busybox@sha256:${"a".repeat(64)}": repository path component "Busybox" must be lowercase letters and digits separated by ., _, __ or - (expected [host[:port]/]repository[:tag][@sha256:<64 hex>], e.g. 127.0.0.1:5000/library/busybox@sha256:…)`,
                ],
            },
            {
                name: "unknown cosign major version",
                change: (r) => (r.signing.cosignVersion = 4),
                expected: ["signing.cosignVersion must be 2 or 3: the major version of the cosign CLI that signs (`cosign version`)"],
            },
            {
                name: "base image with a URL scheme",
                change: (r) => (r.models[0].baseImage = `oci://ghcr.io/library/busybox@sha256:${"a".repeat(64)}`),
                expected: [
                    `models[0].baseImage is not a valid image reference: invalid image reference "oci://ghcr.io/library/busybox@sha256:${"a".repeat(64)}": remove the URL scheme (oci://, https://) (expected [host[:port]/]repository[:tag][@sha256:<64 hex>], e.g. 127.0.0.1:5000/library/busybox@sha256:…)`,
                ],
            },
            {
                name: "plain HTTP to a non-local registry without insecure",
                change: (r) => (r.registry = { host: "registry.example.com", repositoryPrefix: "ml", plainHttp: true }),
                expected: [
                    'registry.plainHttp is only allowed for a loopback registry (localhost, 127.0.0.0/8, [::1]), not "registry.example.com": serve the registry over TLS, or set registry.insecure: true to accept plain HTTP to a non-local registry',
                ],
            },
            {
                // The push would refuse it (the engine's isLoopbackHost), so the config must refuse it first.
                name: "plain HTTP to a *.localhost name, which the registry client does not treat as loopback",
                change: (r) => (r.registry = { host: "models.localhost:5000", repositoryPrefix: "ml", plainHttp: true }),
                expected: [
                    'registry.plainHttp is only allowed for a loopback registry (localhost, 127.0.0.0/8, [::1]), not "models.localhost:5000": serve the registry over TLS, or set registry.insecure: true to accept plain HTTP to a non-local registry',
                ],
            },
            {
                name: "unknown deployment mode",
                change: (r) => (r.platform = { kserve: { deploymentMode: "Serverful" } }),
                expected: ['platform.kserve.deploymentMode must be "Knative" or "Standard", got "Serverful"'],
            },
            {
                name: "legacy deployment mode name",
                change: (r) => (r.platform = { kserve: { deploymentMode: "RawDeployment" } }),
                expected: ['platform.kserve.deploymentMode must be "Knative" or "Standard"; "RawDeployment" is the legacy name of "Standard": use "Standard"'],
            },
            {
                name: "canary percent out of range",
                change: (r) => (r.models[0].canary = { version: "v2", modelDir: "models/iris/v2", trafficPercent: 100 }),
                expected: ["models[0].canary.trafficPercent must be from 0 to 99 (0 rolls back; to promote, make the candidate the model's version and remove canary)"],
            },
            {
                name: "missing public key while signing is on",
                change: (r) => delete r.signing.publicKey,
                expected: [
                    "signing.publicKey is required while signing.enabled is true: Kyverno verifies model images against it; set the PEM text or a path to cosign.pub (cosign public-key --key <key> prints it for KMS keys)",
                ],
            },
            {
                name: "no signing section at all (signing defaults on)",
                change: (r) => delete r.signing,
                expected: [
                    `signing.key is required while signing.enabled is true: set ${keyRefHint}, or set signing.enabled: false`,
                    "signing.publicKey is required while signing.enabled is true: Kyverno verifies model images against it; set the PEM text or a path to cosign.pub (cosign public-key --key <key> prints it for KMS keys)",
                ],
            },
            {
                name: "duplicate model names",
                change: (r) => (r.models[1].name = "iris"),
                expected: [
                    'models[1].name "iris" is already used by models[0]: model names must be unique (each names an image repository, an InferenceService and an Application); rename one',
                ],
            },
            {
                name: "model name not a DNS-1123 label",
                change: (r) => (r.models[0].name = "Iris_Model"),
                expected: [`models[0].name must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit), e.g. "iris"`],
            },
            {
                name: "registry password missing while a username is set",
                change: (r) => (r.registry = { host: "ghcr.io", repositoryPrefix: "org/models", username: "bot" }),
                expected: [
                    'registryPassword is required when registry.username is set ("bot"): run `pulumi config set --secret modelship:registryPassword` (or remove registry.username for an anonymous registry)',
                ],
            },
            {
                name: "registry password without a username",
                change: () => undefined,
                secrets: { registryPassword: true, signingKeyPassword: false },
                expected: ["registry.username is required when modelship:registryPassword is set: set the registry user name, or remove registryPassword"],
            },
            {
                name: "Standard-mode canary on KServe older than v0.20",
                change: (r) => {
                    r.platform = { kserve: { deploymentMode: "Standard", version: "v0.19.1" } };
                    r.models[0].canary = { version: "v2", modelDir: "models/iris/v2", trafficPercent: 10 };
                },
                expected: [
                    'models[0].canary needs KServe v0.20.0 or later in Standard mode (spec.canary), but platform.kserve.version is "v0.19.1": set platform.kserve.version to "v0.20.0", use deploymentMode "Knative", or remove the canary',
                ],
            },
            {
                name: "registry host with a scheme",
                change: (r) => (r.registry.host = "https://ghcr.io/org"),
                expected: ['registry.host must be host[:port] without a scheme: use "ghcr.io" (set registry.plainHttp for http)'],
            },
            {
                name: "unknown key scheme",
                change: (r) => (r.signing.key = "vault://k"),
                expected: [`signing.key has an unknown scheme "vault://"; use ${keyRefHint}`],
            },
            {
                name: "private key given as the public key",
                change: (r) => (r.signing.publicKey = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----"),
                expected: ['signing.publicKey is a private key: give the public key (cosign.pub, "-----BEGIN PUBLIC KEY-----"), never the private one'],
            },
            {
                name: "chart version given as a range",
                change: (r) => (r.platform = { argocd: { chart: { repository: "https://argoproj.github.io/argo-helm", name: "argo-cd", version: "9.4.x" } } }),
                expected: ['platform.argocd.chart.version must be an exact version (pinned, not a range), e.g. "1.2.3"'],
            },
            {
                name: "KServe version without the v prefix",
                change: (r) => (r.platform = { kserve: { version: "0.20.0" } }),
                expected: ['platform.kserve.version must be an exact KServe version with its "v" prefix (the charts are tagged that way), e.g. "v0.20.0"'],
            },
            {
                name: "canary version equal to the stable version",
                change: (r) => (r.models[0].canary = { version: "v1", modelDir: "models/iris/v1b", trafficPercent: 10 }),
                expected: ['models[0].canary.version must differ from the stable version "v1": give the candidate its own version, e.g. "v2"'],
            },
            {
                name: "a misspelt key",
                change: (r) => (r.registry.repositoryPrefx = "x"),
                expected: ['registry.repositoryPrefx is not a known key: did you mean "repositoryPrefix"?'],
            },
            {
                name: "a misspelt nested key (letters swapped)",
                change: (r) => (r.registry.hots = "ghcr.io"),
                expected: ['registry.hots is not a known key: did you mean "host"?'],
            },
            {
                name: "a misspelt key deep in the platform section",
                change: (r) => (r.platform = { kserve: { modelcar: { memroy: "20Mi" } } }),
                expected: ['platform.kserve.modelcar.memroy is not a known key: did you mean "memory"?'],
            },
            {
                name: "a misspelt key of a model",
                change: (r) => (r.models[1].allowOutsidProject = true),
                expected: ['models[1].allowOutsidProject is not a known key: did you mean "allowOutsideProject"?'],
            },
            {
                name: "an unknown nested key with no key close to it",
                change: (r) => (r.registry.mirror = "x"),
                expected: ["registry.mirror is not a known key: remove it (known here: host, repositoryPrefix, plainHttp, insecure, username, concurrency, chunkSizeMiB)"],
            },
            {
                name: "an empty model list",
                change: (r) => (r.models = []),
                expected: [
                    "models is empty: this stack would ship no model (and delete every release it shipped); add a model, or set allowEmptyModels: true to empty the stack on purpose",
                ],
            },
            {
                name: "no models key at all",
                change: (r) => delete r.models,
                expected: [
                    "models is empty: this stack would ship no model (and delete every release it shipped); add a model, or set allowEmptyModels: true to empty the stack on purpose",
                ],
            },
            {
                name: "an empty model list with allowEmptyModels not a boolean",
                change: (r) => {
                    r.models = [];
                    r.allowEmptyModels = "yes";
                },
                expected: [
                    "allowEmptyModels must be true or false",
                    "models is empty: this stack would ship no model (and delete every release it shipped); add a model, or set allowEmptyModels: true to empty the stack on purpose",
                ],
            },
            {
                name: "allowOutsideProject not a boolean",
                change: (r) => (r.models[0].allowOutsideProject = "yes"),
                expected: ["models[0].allowOutsideProject must be true or false"],
            },
            {
                name: "missing registry",
                change: (r) => delete r.registry,
                expected: ["registry is required: set it to an object (a map of settings)"],
            },
            {
                name: "modelcar uid root",
                change: (r) => (r.platform = { kserve: { modelcar: { uid: 0 } } }),
                expected: ["platform.kserve.modelcar.uid must be a non-root uid (1 or more), e.g. 1010"],
            },
            {
                name: "Argo CD chart too old for OCI sources",
                change: (r) => (r.platform = { argocd: { chart: { repository: "https://argoproj.github.io/argo-helm", name: "argo-cd", version: "7.8.2" } } }),
                expected: [
                    'platform.argocd.chart.version "7.8.2" installs Argo CD older than 3.1, which has no OCI sources (the manifest bundles are OCI artifacts): use 9.4.17 (Argo CD 3.3)',
                ],
            },
            {
                name: "a Knative operator chart (Knative comes from its release manifests; there is no chart key)",
                change: (r) => (r.platform = { knative: { chart: { repository: "https://knative.github.io/operator", name: "knative-operator", version: "1.21.1" } } }),
                expected: ["platform.knative.chart is not a known key: remove it (known here: enabled, namespace, version, kourierVersion, networking, manifestBaseUrl)"],
            },
            {
                name: "rendering to a directory while the stack has registry credentials (Secrets would be plain YAML)",
                change: (r) => {
                    r.kubernetes = { renderYamlToDirectory: "out/dev" };
                    r.platform = { argocd: { enabled: false } };
                    r.registry = { host: "ghcr.io", repositoryPrefix: "acme/models", username: "bot" };
                },
                secrets: allSecrets,
                expected: [
                    "kubernetes.renderYamlToDirectory writes every Kubernetes object to out/dev as plain YAML, Secrets in clear text, and this stack would render secrets: registry.username is set (pull Secrets and registry credentials for Argo CD and Kyverno); apply to a cluster instead (remove renderYamlToDirectory), or render a stack without them",
                ],
            },
            {
                name: "rendering to a directory with Argo CD on (its redis password)",
                change: (r) => (r.kubernetes = { renderYamlToDirectory: "out/dev" }),
                expected: [
                    "kubernetes.renderYamlToDirectory writes every Kubernetes object to out/dev as plain YAML, Secrets in clear text, and this stack would render secrets: platform.argocd is enabled (its redis password); apply to a cluster instead (remove renderYamlToDirectory), or render a stack without them",
                ],
            },
        ];

        it("an empty model list is valid when the stack sets allowEmptyModels: true", () => {
            const raw = validRaw();
            raw.models = [];
            raw.allowEmptyModels = true;
            const result = validateStackConfig(raw, noSecrets);
            expect(result.ok, JSON.stringify(!result.ok && result.problems)).to.equal(true);
            if (!result.ok) return;
            expect(result.config.models).to.deep.equal([]);
        });

        it("the empty-model check is reported with the other problems when another field fails", () => {
            const raw = validRaw();
            raw.models = [];
            raw.registry.hots = "x";
            expect(problemsOf(raw)).to.deep.equal([
                'registry.hots is not a known key: did you mean "host"?',
                "models is empty: this stack would ship no model (and delete every release it shipped); add a model, or set allowEmptyModels: true to empty the stack on purpose",
            ]);
        });

        it("builder docker without a dockerfile is valid: modelship generates the modelcar Dockerfile", () => {
            const raw = validRaw();
            raw.models[0].builder = "docker";
            const result = validateStackConfig(raw, noSecrets);
            expect(result.ok, JSON.stringify(!result.ok && result.problems)).to.equal(true);
        });

        for (const c of cases) {
            it(c.name, () => {
                const raw = validRaw();
                c.change(raw);
                expect(problemsOf(raw, c.secrets)).to.deep.equal(c.expected);
            });
        }

        it("has at least 12 cases", () => {
            expect(cases.length).to.be.at.least(12);
        });
    });

    describe("every problem at once", () => {
        it("reports field errors and cross-field errors together, across sections", () => {
            const raw = validRaw();
            raw.registry = { host: "registry.example.com", repositoryPrefix: "Bad/", plainHttp: true };
            raw.signing = { key: "vault://k" };
            raw.models[0].baseImage = "busybox";
            raw.models[1].name = "iris";
            raw.models.push({ name: "iris", version: "v1", modelDir: "m", format: "sklearn", baseImage: busybox, canary: { version: "v2", modelDir: "m2", trafficPercent: -1 } });
            const problems = validateStackConfig(raw, noSecrets);
            expect(problems.ok).to.equal(false);
            if (problems.ok) return;
            expect(problems.problems.map((p) => p.path)).to.deep.equal([
                "registry.repositoryPrefix",
                "registry.plainHttp",
                "signing.key",
                "signing.publicKey",
                "models[0].baseImage",
                "models[2].canary.trafficPercent",
                "models[1].name",
                "models[2].name",
            ]);
        });

        it("formats them as one block", () => {
            const text = formatConfigProblems([
                { path: "a", message: "a is wrong" },
                { path: "b", message: "b is wrong" },
            ]);
            expect(text).to.equal("modelship: the stack configuration has 2 problems; nothing was created:\n  - a is wrong\n  - b is wrong");
        });

        it("rejects a config that is not an object", () => {
            expect(problemsOf("nope")).to.deep.equal(['(stack config) must be an object with platform, registry, signing and models, got "nope"']);
        });
    });

    describe("closestKey", () => {
        const top = ["kubernetes", "platform", "registry", "signing", "models", "allowEmptyModels", "registryPassword", "signingKeyPassword"];

        it("suggests a key within edit distance 2 (a swap of adjacent letters counts once)", () => {
            expect(closestKey("registy", top)).to.equal("registry");
            expect(closestKey("model", top)).to.equal("models");
            expect(closestKey("hots", ["host", "repositoryPrefix", "plainHttp", "insecure", "username"])).to.equal("host");
            expect(closestKey("Signing", top)).to.equal("signing");
        });

        it("suggests a key the misspelling is a prefix of, or that is a prefix of it", () => {
            expect(closestKey("registryPass", top)).to.equal("registryPassword");
            expect(closestKey("sign", top)).to.equal("signing");
            expect(closestKey("modelsList", top)).to.equal("models");
        });

        it("prefers the nearest key", () => {
            expect(closestKey("registryPasword", top)).to.equal("registryPassword");
            expect(closestKey("signingKey", top)).to.equal("signing");
        });

        it("suggests nothing when no key is close, or for a short key rewritten entirely", () => {
            expect(closestKey("replicas", top)).to.equal(undefined);
            expect(closestKey("ab", ["cd", "host"])).to.equal(undefined);
            expect(closestKey("x", top)).to.equal(undefined);
        });
    });

    it("formats paths the way the messages use them", () => {
        expect(formatPath(["models", 1, "baseImage"])).to.equal("models[1].baseImage");
        expect(formatPath(["platform", "argocd", "values", "configs.params"])).to.equal('platform.argocd.values["configs.params"]');
    });

    it("the exported schema runs the cross-section checks itself", () => {
        const raw = validRaw();
        raw.models[1].name = "iris";
        const r = stackConfigSchema.safeParse(raw);
        expect(r.success).to.equal(false);
        expect(r.error?.issues.map((i) => i.path.join("."))).to.deep.equal(["models.1.name"]);
    });

    it("the exported schema refuses an empty model list itself, unless allowEmptyModels is true", () => {
        const raw = validRaw();
        raw.models = [];
        const r = stackConfigSchema.safeParse(raw);
        expect(r.error?.issues.map((i) => `${i.path.join(".")} ${i.message}`)).to.deep.equal([
            "models is empty: this stack would ship no model (and delete every release it shipped); add a model, or set allowEmptyModels: true to empty the stack on purpose",
        ]);
        expect(stackConfigSchema.safeParse({ ...raw, allowEmptyModels: true }).success).to.equal(true);
    });
});
