import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { readModelRollout, readPromotionConfig, StackFileError, writeModelRollout } from "../../components/promotion/stack-file";

const root = path.resolve(__dirname, "..", "..");
const devText = fs.readFileSync(path.join(root, "Pulumi.dev.yaml"), "utf8");
const prodText = fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8");
const stable = { version: "v1", modelDir: "models/iris/v1" };
const at = (trafficPercent: number) => ({ ...stable, canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent } });

/** Lines that differ, as [before, after] pairs, for files of the same length. */
function changedLines(before: string, after: string): [string, string][] {
    const a = before.split("\n");
    const b = after.split("\n");
    expect(b.length).to.equal(a.length);
    return a.map((l, i) => [l, b[i]] as [string, string]).filter(([x, y]) => x !== y);
}

describe("promotion: Pulumi.<stack>.yaml edits", () => {
    it("reads the model's rollout", () => {
        expect(readModelRollout(devText, "iris", "Pulumi.dev.yaml")).to.deep.equal({ name: "iris", namespace: "models", ...at(10) });
        expect(readModelRollout(prodText, "iris", "Pulumi.prod.yaml")).to.deep.equal({ name: "iris", namespace: "models", ...at(5) });
    });

    it("a step-up changes exactly one line, comments and formatting stay", () => {
        const out = writeModelRollout(devText, "iris", at(10), at(25), "Pulumi.dev.yaml");
        expect(changedLines(devText, out)).to.deep.equal([["        trafficPercent: 10", "        trafficPercent: 25"]]);
    });

    it("a rollback sets trafficPercent 0 in prod's file, the PEM block and comments untouched", () => {
        const out = writeModelRollout(prodText, "iris", at(5), at(0), "Pulumi.prod.yaml");
        expect(changedLines(prodText, out)).to.deep.equal([["        trafficPercent: 5", "        trafficPercent: 0"]]);
    });

    it("a promotion makes the canary the version and modelDir and removes the canary block", () => {
        const out = writeModelRollout(devText, "iris", at(10), { version: "v2", modelDir: "models/iris/v2" }, "Pulumi.dev.yaml");
        expect(readModelRollout(out, "iris", "f")).to.deep.equal({ name: "iris", namespace: "models", version: "v2", modelDir: "models/iris/v2" });
        expect(out).not.to.include("canary:");
        // Everything before the model entry is byte for byte the same (the stack's comments).
        const head = devText.slice(0, devText.indexOf("  modelship:models:"));
        expect(out.startsWith(head)).to.equal(true);
        expect(out).to.include("      version: v2\n      modelDir: models/iris/v2\n      format: sklearn\n");
    });

    it("a promotion of a canary in the middle of a model entry, among other models, touches only that model", () => {
        const text = [
            "config:",
            "  modelship:models:",
            "    - name: wine",
            "      version: v7",
            "      modelDir: models/wine/v7",
            "      canary: {version: v8, modelDir: models/wine/v8, trafficPercent: 25}",
            "    - name: iris",
            '      version: "v1"  # quoted on purpose',
            "      modelDir: models/iris/v1",
            "      # the candidate",
            "      canary:",
            "        version: v2",
            "        modelDir: models/iris/v2",
            "        trafficPercent: 50",
            "      # resources stay",
            "      resources: {cpu: 100m}",
            "",
        ].join("\n");
        const out = writeModelRollout(
            text,
            "iris",
            { ...stable, canary: { version: "v2", modelDir: "models/iris/v2", trafficPercent: 50 } },
            { version: "v2", modelDir: "models/iris/v2" },
            "f",
        );
        expect(out).to.equal(
            [
                "config:",
                "  modelship:models:",
                "    - name: wine",
                "      version: v7",
                "      modelDir: models/wine/v7",
                "      canary: {version: v8, modelDir: models/wine/v8, trafficPercent: 25}",
                "    - name: iris",
                "      version: v2  # quoted on purpose",
                "      modelDir: models/iris/v2",
                "      # resources stay",
                "      resources: {cpu: 100m}",
                "",
            ].join("\n"),
        );
        const flow = writeModelRollout(
            text,
            "wine",
            { version: "v7", modelDir: "models/wine/v7", canary: { version: "v8", modelDir: "models/wine/v8", trafficPercent: 25 } },
            { version: "v7", modelDir: "models/wine/v7", canary: { version: "v8", modelDir: "models/wine/v8", trafficPercent: 50 } },
            "f",
        );
        expect(changedLines(text, flow)).to.deep.equal([
            ["      canary: {version: v8, modelDir: models/wine/v8, trafficPercent: 25}", "      canary: {version: v8, modelDir: models/wine/v8, trafficPercent: 50}"],
        ]);
    });

    it("refuses a model that is not there, naming the ones that are", () => {
        expect(() => readModelRollout(devText, "wine", "Pulumi.dev.yaml")).to.throw(
            StackFileError,
            'Pulumi.dev.yaml has no model "wine" in modelship:models (models: iris): pass --model with one of them',
        );
    });

    it("refuses to change a model without a canary", () => {
        const promoted = writeModelRollout(devText, "iris", at(10), { version: "v2", modelDir: "models/iris/v2" }, "Pulumi.dev.yaml");
        expect(() => writeModelRollout(promoted, "iris", at(10), at(25), "Pulumi.dev.yaml")).to.throw(
            StackFileError,
            'Pulumi.dev.yaml: model "iris" has no canary: there is nothing to step up, promote or roll back',
        );
    });

    it("refuses when the file changed since the decision", () => {
        expect(() => writeModelRollout(devText, "iris", at(25), at(50), "Pulumi.dev.yaml")).to.throw(StackFileError, /changed since the decision was made/);
    });

    it("refuses a file without a models list, and invalid YAML", () => {
        expect(() => readModelRollout("config:\n  modelship:registry: {}\n", "iris", "Pulumi.x.yaml")).to.throw(
            StackFileError,
            'Pulumi.x.yaml has no config."modelship:models" list',
        );
        expect(() => readModelRollout("config: [\n", "iris", "Pulumi.x.yaml")).to.throw(StackFileError, /^Pulumi.x.yaml is not valid YAML/);
    });

    it("reads modelship:promotion as plain data", () => {
        const text = devText + "  modelship:promotion:\n    prometheusUrl: http://127.0.0.1:9090\n    minSamples: 5\n";
        expect(readPromotionConfig(text, "f")).to.deep.equal({ prometheusUrl: "http://127.0.0.1:9090", minSamples: 5 });
        expect(readPromotionConfig(devText, "f")).to.equal(undefined);
    });

    describe("models from MLflow (modelSource instead of modelDir)", () => {
        const text = [
            "config:",
            "  modelship:models:",
            "    - name: iris",
            "      version: v1",
            "      modelSource: models:/iris/1",
            "      format: sklearn",
            "      canary:",
            "        version: v2",
            "        modelSource: models:/iris@challenger",
            "        trafficPercent: 10",
            "",
        ].join("\n");
        const from = { version: "v1", modelSource: "models:/iris/1", canary: { version: "v2", modelSource: "models:/iris@challenger", trafficPercent: 10 } };

        it("reads the rollout and steps up one line", () => {
            expect(readModelRollout(text, "iris", "f")).to.deep.equal({ name: "iris", ...from });
            const out = writeModelRollout(text, "iris", from, { ...from, canary: { ...from.canary, trafficPercent: 25 } }, "f");
            expect(changedLines(text, out)).to.deep.equal([["        trafficPercent: 10", "        trafficPercent: 25"]]);
        });

        it("a promotion makes the canary's source the model's", () => {
            const out = writeModelRollout(text, "iris", from, { version: "v2", modelSource: "models:/iris@challenger" }, "f");
            expect(readModelRollout(out, "iris", "f")).to.deep.equal({ name: "iris", version: "v2", modelSource: "models:/iris@challenger" });
        });

        it("a promotion from a directory to an MLflow canary renames the key in place", () => {
            const mixed = text.replace("      modelSource: models:/iris/1", "      modelDir: models/iris/v1");
            const was = { ...from, modelSource: undefined, modelDir: "models/iris/v1" };
            const out = writeModelRollout(mixed, "iris", was, { version: "v2", modelSource: "models:/iris@challenger" }, "f");
            expect(out).to.include("      version: v2\n      modelSource: models:/iris@challenger\n      format: sklearn\n");
            expect(out).not.to.include("modelDir");
        });

        it("a model that sets both or neither location is refused with the fix", () => {
            const both = text.replace("      format: sklearn", "      modelDir: models/iris/v1\n      format: sklearn");
            expect(() => readModelRollout(both, "iris", "f")).to.throw(StackFileError, /one of modelDir or modelSource/);
        });
    });
});
