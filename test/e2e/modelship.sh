# scripts/e2e --modelship (sourced by scripts/e2e after the toolchain is on PATH; uses its repo, run_dir,
# keep, record, step, have). The modelship stack end to end on one machine: throwaway file backend and
# passphrase, Debian's docker-registry on a free 127.0.0.1 port, a fresh cosign key pair, the platform
# off, nothing reaching beyond 127.0.0.1. Every check prints the facts it measured; a failed one exits 1.
# shellcheck shell=bash

e2e_tool() { (cd "$repo" && node -r ts-node/register/transpile-only test/e2e/e2e-tool.ts "$@"); }
die() { echo "e2e: FAILED: $*" >&2; exit 1; }
t_step=$(date +%s)
mstep() { step "$@"; t_step=$(date +%s); }   # timed() below: seconds since the step began
timed() { printf '%ss' "$(($(date +%s) - t_step))"; }

# --- which program ----------------------------------------------------------------------------------
if have kubernetes && have command; then
  program=full
  echo "e2e: kubernetes and command providers found: running the real program (index.ts) with the dev stack's config"
else
  program=partial
  reasons=""
  for p in kubernetes command; do
    have "$p" && continue
    r=$(awk -F'\t' -v t="pulumi-resource-$p" '$1 == t { print $5 }' "$status")
    reasons="${reasons:+$reasons; }$p: ${r:-not built}"
  done
  echo "e2e: kubernetes and command providers are blocked ($reasons): running the engine over the parts of the graph whose providers exist"
  echo "   partial program test/e2e/program: loadStackConfig + per model declareModelImages/declareModelBundle (ModelImage, ManifestBundle, OciArtifact); no Platform, ImageSignature or Application"
fi

for tool in docker-registry skopeo cosign curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup installs docker-registry, skopeo; scripts/toolchain cosign)"
done

# --- registry ---------------------------------------------------------------------------------------
registry_pid=""
cleanup() {
  local rc=$?
  if [ -n "$registry_pid" ] && kill -0 "$registry_pid" 2>/dev/null; then
    kill "$registry_pid" 2>/dev/null || true
    for _ in $(seq 1 25); do kill -0 "$registry_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$registry_pid" 2>/dev/null || true
  fi
  if $keep; then echo "   run directory kept: $run_dir"; else rm -rf "$run_dir"; fi
  exit "$rc"
}
trap cleanup EXIT

mstep "registry"
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
host="127.0.0.1:$port"
mkdir -p "$run_dir/registry/data"
cat >"$run_dir/registry/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $run_dir/registry/data
  delete:
    enabled: true
http:
  addr: $host
YAML
docker-registry serve "$run_dir/registry/config.yml" >"$run_dir/registry/access.log" 2>"$run_dir/registry/registry.log" &
registry_pid=$!
for _ in $(seq 1 50); do curl -fsS -o /dev/null --max-time 2 "http://$host/v2/" 2>/dev/null && break; sleep 0.2; done
curl -fsS -o /dev/null --max-time 2 "http://$host/v2/" || die "registry did not answer on $host within 10 s ($(tail -3 "$run_dir/registry/registry.log"))"
base=$(cd "$repo" && timeout 120 npm run --silent base-image -- --registry "$host" --plain-http 2>"$run_dir/base-image.log") \
  || die "npm run base-image: $(cat "$run_dir/base-image.log")"
echo "   docker-registry pid $registry_pid on $host; base image $base ($(timed))"

# --- throwaway project ------------------------------------------------------------------------------
mstep "project ($program program)"
project="$run_dir/project"
mkdir -p "$project"
ln -s "$repo/node_modules" "$project/node_modules"
ln -s "$repo/models" "$project/models"
if [ "$program" = full ]; then
  cp "$repo/Pulumi.yaml" "$repo/tsconfig.json" "$project/"
  ln -s "$repo/index.ts" "$project/index.ts"   # resolves ./components from the repo (Node follows the link)
  cfg_ns=modelship
else
  cp "$repo/test/e2e/program/Pulumi.yaml" "$repo/test/e2e/program/tsconfig.json" "$project/"
  ln -s "$repo/test/e2e/program/index.ts" "$project/index.ts"
  cfg_ns=modelship-e2e
fi
printf '{ "name": "%s", "private": true, "main": "index.ts" }\n' "$cfg_ns" >"$project/package.json"
export PULUMI_CONFIG_PASSPHRASE="e2e-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
key_password="key-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
(cd "$project" && COSIGN_PASSWORD="$key_password" timeout 60 cosign generate-key-pair >/dev/null 2>"$run_dir/keygen.log") \
  || die "cosign generate-key-pair: $(cat "$run_dir/keygen.log")"
policy_config="$repo/policy/config/e2e.json"
cd "$project"
p stack-init stack init "$stack"
# The dev stack's config (Pulumi.dev.yaml) with this run's registry, base image and render directory.
cat >>"$project/Pulumi.$stack.yaml" <<YAML
config:
  modelship:kubernetes:
    renderYamlToDirectory: $run_dir/rendered
  modelship:platform:
    certManager: { enabled: false }
    kserve: { enabled: false, deploymentMode: Knative, modelcar: { uid: 1010, cpu: 10m, memory: 15Mi } }
    knative: { enabled: false, version: 1.21.1 }
    argocd: { enabled: false }
    kyverno: { enabled: false }
  modelship:registry:
    host: $host
    repositoryPrefix: modelship
    plainHttp: true
  modelship:signing:
    enabled: true
    key: cosign.key
    publicKey: cosign.pub
    transparencyLog: false
    signatureFormat: legacy
  modelship:models:
    - name: iris
      version: v1
      modelDir: models/iris/v1
      format: sklearn
      runtime: kserve-sklearnserver
      baseImage: $base
      namespace: models
      resources: { cpu: 100m, memory: 256Mi }
      provenance:
        sourceRepository: https://github.com/acme-ml/modelship
      canary:
        version: v2
        modelDir: models/iris/v2
        trafficPercent: 10
YAML
p config-secret config set --secret modelship:signingKeyPassword "$key_password"
echo "   $project: Pulumi.yaml ($cfg_ns), index.ts -> repo, stack $stack on file://$run_dir/state, cosign key pair, policy config policy/config/e2e.json ($(timed))"

policy_args=(--policy-pack "$repo/policy" --policy-pack-config "$policy_config")
preview_events() { # LOGNAME [args]: streaming JSON preview with the policy pack; sets preview_rc
  local name=$1; shift
  set +e
  PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true timeout "${E2E_PULUMI_TIMEOUT:-300}" pulumi preview --json --non-interactive "${policy_args[@]}" "$@" \
    >"$run_dir/$name.jsonl" 2>"$run_dir/$name.stderr"
  preview_rc=$?
  set -e
}

# --- 1. preview -------------------------------------------------------------------------------------
mstep "1 preview --policy-pack (JSON events)"
preview_events preview-compliant
[ "$preview_rc" = 0 ] || { tail -20 "$run_dir/preview-compliant.stderr" >&2; tail -5 "$run_dir/preview-compliant.jsonl" >&2; die "preview exited $preview_rc"; }
e2e_tool events-summary "$run_dir/preview-compliant.jsonl"
e2e_tool preview-digests "$run_dir/preview-compliant.jsonl" >"$run_dir/preview-digests.json"
node -e '
  const d = require(process.argv[1]);
  const names = Object.keys(d).sort();
  if (names.length === 0) { console.error("e2e: FAILED: the preview shows no OciArtifact"); process.exit(1); }
  for (const n of names) {
    if (!/^sha256:[a-f0-9]{64}$/.test(d[n].digest || "")) { console.error(`e2e: FAILED: ${n}: preview digest is ${d[n].digest}`); process.exit(1); }
    console.log(`   preview ${n.padEnd(22)} ${d[n].kind.padEnd(15)} ${d[n].digest}`);
  }' "$run_dir/preview-digests.json"
echo "   preview exit 0, $(timed)"

# --- 2. up ------------------------------------------------------------------------------------------
mstep "2 up"
writes_before=$(grep -cE '"(PUT|POST|PATCH) /v2/' "$run_dir/registry/access.log" || true)
p up up --yes --skip-preview "${policy_args[@]}"
sed -n '/^Resources:/,/^$/p' "$run_dir/up.log" | grep -E '[0-9]+ ' | sed 's/^ */   up: /' || true
timeout 60 pulumi stack output --json --show-secrets >"$run_dir/outputs.json"
writes_up=$(( $(grep -cE '"(PUT|POST|PATCH) /v2/' "$run_dir/registry/access.log" || true) - writes_before ))
node -e '
  const fs = require("fs"), { execFileSync } = require("child_process");
  const pre = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const out = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const shown = Object.values(pre).map((x) => x.digest);
  let bad = 0;
  const check = (what, reference, digest, bytes) => {
    const raw = execFileSync("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${reference}`], { timeout: 30000 });
    const servedDigest = "sha256:" + require("crypto").createHash("sha256").update(raw).digest("hex");
    const inPreview = shown.includes(digest);
    const ok = inPreview && servedDigest === digest && reference.endsWith("@" + digest);
    if (!ok) bad++;
    console.log(`   ${ok ? "ok  " : "BAD "} ${what.padEnd(16)} output ${digest} | preview ${inPreview ? "same" : "DIFFERENT"} | registry serves ${servedDigest === digest ? "same" : servedDigest} | uploaded ${bytes} B`);
  };
  for (const [name, m] of Object.entries(out.models)) {
    const b = m.bytesUploaded;
    const stableKey = Object.keys(b).find((k) => k.startsWith("image ") && (!m.canary || k !== "image " + m.canary.version));
    check(`${name} ${stableKey.slice(6)}`, m.imageReference, m.imageDigest, b[stableKey]);
    if (m.canary) check(`${name} ${m.canary.version}`, m.canary.imageReference, m.canary.imageDigest, m.canary.bytesUploaded);
    check(`${name} bundle`, m.bundleReference, m.bundleDigest, b.bundle);
  }
  if (bad) { console.error(`e2e: FAILED: ${bad} digest(s) differ between preview, outputs and registry`); process.exit(1); }
' "$run_dir/preview-digests.json" "$run_dir/outputs.json"
echo "   registry write requests during up: $writes_up; storage $(du -sb "$run_dir/registry/data" | cut -f1) B; $(timed)"

# --- 3. sign + verify -------------------------------------------------------------------------------
if [ "$program" = partial ]; then
  mstep "3 sign (cosign line of ImageSignature, run by the script: command provider blocked)"
  (cd "$project" && E2E_SIGNING_KEY_PASSWORD="$(timeout 60 pulumi config get modelship:signingKeyPassword)" \
     node -r "$repo/node_modules/ts-node/register/transpile-only" "$repo/test/e2e/e2e-tool.ts" sign "$run_dir/outputs.json") \
    || die "signing"
else
  mstep "3 verify (signed by ImageSignature in up)"
fi
stable=$(node -e 'const o=require(process.argv[1]);console.log(Object.values(o.models)[0].imageReference)' "$run_dir/outputs.json")
canary=$(node -e 'const o=require(process.argv[1]);const m=Object.values(o.models)[0];console.log(m.canary?m.canary.imageReference:"")' "$run_dir/outputs.json")
bundle=$(node -e 'const o=require(process.argv[1]);console.log(Object.values(o.models)[0].bundleReference)' "$run_dir/outputs.json")
verify() { (cd "$project" && node -r "$repo/node_modules/ts-node/register/transpile-only" "$repo/test/e2e/e2e-tool.ts" verify "$run_dir/outputs.json" cosign.pub "$1"); }
verify "$stable" || die "cosign verify of the stable image failed"
[ -z "$canary" ] || verify "$canary" || die "cosign verify of the canary image failed"
if verify "$bundle"; then die "cosign verify of the (unsigned) bundle digest passed"; fi
echo "   verify: stable and canary images pass, the unsigned bundle digest fails as it must; $(timed)"

# --- 4. no-op up ------------------------------------------------------------------------------------
mstep "4 up again (expect no changes)"
writes_before=$(grep -cE '"(PUT|POST|PATCH) /v2/' "$run_dir/registry/access.log" || true)
size_before=$(du -sb "$run_dir/registry/data" | cut -f1)
p preview-nochange preview --expect-no-changes "${policy_args[@]}"
p up-again up --yes --skip-preview "${policy_args[@]}"
writes_noop=$(( $(grep -cE '"(PUT|POST|PATCH) /v2/' "$run_dir/registry/access.log" || true) - writes_before ))
size_after=$(du -sb "$run_dir/registry/data" | cut -f1)
summary=$(sed -n '/^Resources:/,/^$/p' "$run_dir/up-again.log" | grep -E '[0-9]+ ' | sed 's/^ *//' | paste -sd';' -)
echo "   preview --expect-no-changes: exit 0; up: ${summary:-?}"
echo "   registry write requests (PUT/POST/PATCH) during preview+up: $writes_noop; storage $size_before -> $size_after B"
if grep -qE '[0-9]+ (to )?(create|update|replace|delete)|[0-9]+ (created|updated|replaced|deleted)' <<<"$summary"; then die "second up changed something: $summary"; fi
grep -qE '[0-9]+ unchanged' <<<"$summary" || die "second up summary has no 'unchanged' count: $summary"
[ "$writes_noop" = 0 ] || die "second up wrote to the registry ($writes_noop write requests)"
[ "$size_before" = "$size_after" ] || die "registry storage changed during the no-op up ($size_before -> $size_after B)"
echo "   0 changes, 0 bytes uploaded; $(timed)"

# --- 5. unpinned config -----------------------------------------------------------------------------
mstep "5 unpinned config (expect exit 1)"
if [ "$program" = partial ]; then
  cat >"$project/unpinned.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: { name: debug-proxy, namespace: models }
spec:
  selector: { matchLabels: { app: debug-proxy } }
  template:
    metadata: { labels: { app: debug-proxy } }
    spec:
      containers:
        - name: proxy
          image: docker.io/library/nginx:latest
YAML
  p config-unpinned config set extraManifests unpinned.yaml
  echo "   modelship-e2e:extraManifests = a Deployment with image docker.io/library/nginx:latest, appended to the iris bundle"
else
  # The real program has no free-form manifests; a canary step the policy does not allow stands in.
  p config-unpinned config set --path 'modelship:models[0].canary.trafficPercent' 33
  echo "   models[0].canary.trafficPercent = 33 (not an allowed step)"
fi
preview_events preview-violations
echo "   preview exit $preview_rc"
[ "$preview_rc" = 1 ] || { tail -20 "$run_dir/preview-violations.stderr" >&2; die "the unpinned preview exited $preview_rc, expected 1"; }
e2e_tool events-summary "$run_dir/preview-violations.jsonl"
mandatory=$(node -e '
  const names = new Set();
  for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
    if (!l.startsWith("{")) continue;
    const e = JSON.parse(l).policyEvent;
    if (e && e.enforcementLevel === "mandatory") names.add(e.policyName);
  }
  console.log([...names].sort().join(" "));' "$run_dir/preview-violations.jsonl")
[ -n "$mandatory" ] || die "no mandatory policy event in the failing preview"
echo "   mandatory policies failed: $mandatory"
set +e
(cd "$repo" && timeout 120 npm run --silent audit -- --stack e2e --config policy/config/e2e.json \
   --events "$run_dir/preview-violations.jsonl" --out "$run_dir/reports/e2e") 2>"$run_dir/audit.log"
audit_rc=$?
set -e
sed 's/^/   /' "$run_dir/audit.log" | grep -v '^   npm warn' || true
[ "$audit_rc" = 1 ] || die "npm run audit exited $audit_rc, expected 1"
for name in $mandatory; do
  grep -q "$name" "$run_dir/reports/e2e/policy-report.md" || die "policy-report.md does not list $name"
done
echo "   reports/e2e/policy-report.md lists: $mandatory (audit exit 1); $(timed)"
if [ "$program" = partial ]; then p config-rm config rm extraManifests; else p config-rm config set --path 'modelship:models[0].canary.trafficPercent' 10; fi

# --- record -----------------------------------------------------------------------------------------
if $record; then
  mstep "record fixtures"
  fixtures="$repo/test/fixtures/engine-events"
  for c in compliant violations; do
    e2e_tool scrub "$run_dir/preview-$c.jsonl" "$fixtures/recorded-e2e-$c.jsonl" \
      "$run_dir=/tmp/modelship-e2e.RUN" "$repo=/work/modelship" "$host=127.0.0.1:5000" \
      "$PULUMI_CONFIG_PASSPHRASE=PASSPHRASE"
    echo "   test/fixtures/engine-events/recorded-e2e-$c.jsonl ($(wc -l <"$fixtures/recorded-e2e-$c.jsonl") events, $(wc -c <"$fixtures/recorded-e2e-$c.jsonl") B)"
  done
fi

# --- 6. destroy -------------------------------------------------------------------------------------
mstep "6 destroy"
p destroy destroy --yes --skip-preview
sed -n '/^Resources:/,/^$/p' "$run_dir/destroy.log" | grep -E '[0-9]+ ' | sed 's/^ */   destroy: /' || true
p stack-rm stack rm --yes "$stack"
cd "$repo"
kill "$registry_pid" 2>/dev/null || true
for _ in $(seq 1 25); do kill -0 "$registry_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$registry_pid" 2>/dev/null && die "registry did not stop"
registry_pid=""
echo "   stack removed, registry stopped; $(timed)"
mstep "passed ($program program)"
