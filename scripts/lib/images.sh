# Shared by the image build scripts (sourced): input hashes kept as an image label, the rebuild decision, and a
# docker build on a given base image with its log shown only on failure. The caller sets LABEL (the label holding
# the inputs' hash), PREFIX (how its messages start) and work (a scratch directory it removes).

inputs_hash() {  # sha256 over the given files' contents and the given words
  { for item in "$@"; do if [ -f "$item" ]; then sha256sum < "$item"; else echo "$item"; fi; done; } | sha256sum | cut -c1-16
}

# needs_build IMAGE HASH: prints "build" when IMAGE must be (re)built for HASH, else nothing. An image of that name
# without the label was not built here (pulled, or built by the user): it is used as it is.
needs_build() {
  local image=$1 hash=$2 found
  docker image inspect "$image" >/dev/null 2>&1 || { echo build; return; }
  found=$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$image")
  if [ -z "$found" ]; then
    echo "$PREFIX: $image exists and was not built here: using it" >&2
  elif [ "$found" != "$hash" ]; then
    echo build
  fi
}

# build_image TAG DOCKERFILE_DIR HASH BASE [extra context files as SOURCE=NAME...]: docker build of DOCKERFILE_DIR's
# files (plus the extras) on BASE, labelled with HASH; the image it replaces is removed (never one not built here).
build_image() {
  local tag=$1 dir=$2 hash=$3 base=$4 context previous
  shift 4
  previous=$(docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }} {{.Id}}" "$tag" 2>/dev/null || true)
  context="$work/context-${tag//[:\/]/_}"
  mkdir -p "$context"
  cp -p "$dir"/* "$context"/
  for extra in "$@"; do cp -rp "${extra%%=*}" "$context/${extra#*=}"; done
  if ! docker build --network host --build-arg BASE_IMAGE="$base" --label "$LABEL=$hash" -t "$tag" "$context" \
      >"$context.log" 2>&1; then
    echo "$PREFIX: building $tag failed:" >&2
    tail -n 40 "$context.log" >&2
    return 1
  fi
  echo "$PREFIX: built $tag"
  if [ -n "${previous%% *}" ] && [ "${previous#* }" != "$(docker image inspect -f '{{.Id}}' "$tag")" ]; then
    docker image rm "${previous#* }" >/dev/null 2>&1 || true
  fi
}
