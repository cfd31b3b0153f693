#!/usr/bin/env bash
# Make a release of the suite, start to finish (README "Making a release"):
#   1. build the questions from pinned sources;
#   2. guide trajectories by three routes: a suite run on vLLM, a chat endpoint that returns
#      reasoning, and public trace files; each becomes a guide set (a new release version);
#   3. solo runs of a reference panel, and the shared subsets computed from them;
#   4. publish the release to a Hugging Face dataset repository, pull it back by ref and sha256;
#   5. a complete eval on the pulled release (--require-complete: every test of Table 1 runs).
# Every input is an environment variable (below). The rehearsal in CI
# (tests/release/test_make_release.py) runs this very script with the tiny reasoner as guide and
# panel on CPU; a maintainer runs it with the paper's models on GPUs. A step whose output exists is
# not redone, and `suite eval` resumes, so after a crash the same command continues.
set -euo pipefail

: "${WORK:?set WORK to the folder for everything this script writes}"
SOURCE="${SOURCE:-pinned}"                 # pinned (public files at fixed commits) or a mirror folder
BENCHMARKS="${BENCHMARKS:-}"               # comma list; empty: the paper's math pool
VERSION="${VERSION:-1.0.0}"                # version of the first build; each derived release is the next minor
EVAL_ARGS="${EVAL_ARGS:-}"                 # extra options of every `suite eval` (e.g. --backend vllm)
VLLM_GUIDES="${VLLM_GUIDES:-}"             # "name=model[@revision] ...": suite eval --tests solo, then add-guide
VLLM_GUIDE_ARGS="${VLLM_GUIDE_ARGS:-}"     # e.g. "--tensor-parallel-size 8"
ENDPOINT_GUIDES="${ENDPOINT_GUIDES:-}"     # "name=api-model ...": suite guides generate, then add-guide
ENDPOINT_URL="${ENDPOINT_URL:-}"           # e.g. https://api.deepseek.com/v1
ENDPOINT_ARGS="${ENDPOINT_ARGS:-}"         # e.g. "--api-key-env DEEPSEEK_API_KEY --concurrency 64"
TRACE_GUIDES="${TRACE_GUIDES:-}"           # "name=trace-file ...": add-guide --from-traces
TRACE_ARGS="${TRACE_ARGS:-}"               # e.g. "--benchmark math500" (the benchmark the traces' ids name)
PANEL="${PANEL:?set PANEL to the reference models, one per line: model[@revision] [suite eval options]}"
PANEL_ARGS="${PANEL_ARGS:-}"               # extra options of the panel's solo runs
SUBSET_SIZE="${SUBSET_SIZE:-200}"
SUBSET_SEED="${SUBSET_SEED:-0}"
PUBLISH_REPO="${PUBLISH_REPO:?set PUBLISH_REPO to the dataset repository, e.g. off-trajectory-suite/releases}"
PUBLISH_ARGS="${PUBLISH_ARGS:-}"           # e.g. "--token-env HF_TOKEN" (HF_ENDPOINT selects another Hub)
PULL_ARGS="${PULL_ARGS:-}"
CHECK_MODEL="${CHECK_MODEL:?set CHECK_MODEL to the model of the final complete eval}"
CHECK_ARGS="${CHECK_ARGS:-}"

say() { printf '\n== %s\n' "$*"; }
model_of() { printf '%s' "${1%%@*}"; }
revision_of() { [[ "$1" == *@* ]] && printf -- '--revision %s' "${1##*@}" || true; }

mkdir -p "$WORK"
release="$WORK/release-$VERSION"
if [[ ! -d "$release" ]]; then
    say "1. build release $VERSION from $SOURCE"
    # shellcheck disable=SC2086  # word splitting of the optional flag is intended
    suite release build --source "$SOURCE" --out "$release" --version "$VERSION" \
        ${BENCHMARKS:+--benchmarks "$BENCHMARKS"}
fi
first="$release"
current="$release"
step=0

# Each guide set is a new release version; every run reads the first build (the same questions).
add_guide() {  # name, then add-guide's source options
    local name="$1"
    shift
    step=$((step + 1))
    local out="$WORK/release-with-$step-$name"
    if [[ ! -d "$out" ]]; then
        suite release add-guide --release "$current" --name "$name" --out "$out" "$@"
    fi
    current="$out"
}

for entry in $VLLM_GUIDES; do
    name="${entry%%=*}" spec="${entry#*=}"
    say "2a. guide $name: solo run of $(model_of "$spec")"
    # shellcheck disable=SC2046,SC2086
    suite eval "$(model_of "$spec")" $(revision_of "$spec") --release "$first" --tests solo \
        --out "$WORK/guide-$name" $EVAL_ARGS $VLLM_GUIDE_ARGS
    add_guide "$name" --run "$WORK/guide-$name"
done

for entry in $ENDPOINT_GUIDES; do
    name="${entry%%=*}" model="${entry#*=}"
    say "2b. guide $name: $model through $ENDPOINT_URL"
    # shellcheck disable=SC2086
    suite guides generate "$model" --release "$first" --base-url "$ENDPOINT_URL" \
        --out "$WORK/endpoint-$name" $ENDPOINT_ARGS
    add_guide "$name" --from-generated "$WORK/endpoint-$name"
done

for entry in $TRACE_GUIDES; do
    name="${entry%%=*}" file="${entry#*=}"
    say "2c. guide $name: public traces $file"
    # shellcheck disable=SC2086
    add_guide "$name" --from-traces "$file" $TRACE_ARGS
done

say "3. reference panel: solo runs"
panel=()
index=0
while read -r spec options; do
    [[ -n "$spec" ]] || continue
    index=$((index + 1))
    # shellcheck disable=SC2046,SC2086
    suite eval "$(model_of "$spec")" $(revision_of "$spec") --release "$first" --tests solo \
        --out "$WORK/panel-$index" $EVAL_ARGS $PANEL_ARGS $options </dev/null
    panel+=("$WORK/panel-$index")
done <<<"$PANEL"
final="$WORK/release-final"
if [[ ! -d "$final" ]]; then
    suite release subsets --release "$current" --panel "${panel[@]}" --out "$final" \
        --size "$SUBSET_SIZE" --seed "$SUBSET_SEED"
fi
suite release verify "$final"

say "4. publish to $PUBLISH_REPO, then pull back by ref and sha256"
# shellcheck disable=SC2086
suite release publish "$final" --repo "$PUBLISH_REPO" $PUBLISH_ARGS | tee "$WORK/publish.txt"
ref="$(sed -n 's/^ref: //p' "$WORK/publish.txt")"
sha256="$(sed -n 's/^sha256: \([0-9a-f]\{64\}\).*/\1/p' "$WORK/publish.txt")"
[[ -n "$ref" && -n "$sha256" ]] || { echo "publish printed no ref or sha256" >&2; exit 1; }
rm -rf "$WORK/pulled"
# shellcheck disable=SC2086
suite release pull "$ref" --sha256 "$sha256" --out "$WORK/pulled" $PULL_ARGS
printf 'SUITE_RELEASE_REF=%s\nSUITE_RELEASE_SHA256=%s\n' "$ref" "$sha256" >"$WORK/pin.env"

say "5. complete eval of $(model_of "$CHECK_MODEL") on the pulled release"
# shellcheck disable=SC2046,SC2086
suite eval "$(model_of "$CHECK_MODEL")" $(revision_of "$CHECK_MODEL") --release "$WORK/pulled" \
    --out "$WORK/check" --require-complete $EVAL_ARGS $CHECK_ARGS
say "done: the release is $ref (sha256 $sha256); pin it with $WORK/pin.env"
