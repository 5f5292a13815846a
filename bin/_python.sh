# Shared by bin/demo and bin/test: find Python ≥ 3.11 and make sure .venv exists and is usable.
# Sourced, not run; expects to be in the repository root.

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "需要 Python 3.11 或更高版本（可用环境变量 PYTHON 指定解释器）" >&2
  return 1
}

ensure_venv() {
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    local python
    python="$(find_python)"
    echo "==> 创建虚拟环境 .venv（$("$python" --version)）"
    rm -rf .venv
    "$python" -m venv .venv
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
}
