# scripts/browser.sh — sourced by scripts/test: makes Debian's Chromium (with CJK
# fonts) and the pinned axe-core available to the browser tests, and exports
# GONGSHI_TEST_CHROMIUM, GONGSHI_TEST_AXE and GONGSHI_TEST_ARTIFACTS for them.
# Chromium comes from apt when missing (apt-get update, then install chromium and
# fonts-noto-cjk); axe-core from npm into the cache. With CI=true, a browser that
# cannot be had fails the run; elsewhere the browser tests are skipped with a
# warning. GONGSHI_NO_BROWSER=1 skips the installs (the tests then skip or fail as
# above).

AXE_VERSION=4.14.1 # pinned: npm axe-core
BROWSER_CACHE=${GONGSHI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gongshi}

no_browser() {
	if is_ci; then
		say "FAIL: $* (CI=true: the browser tests must run)"
		exit 1
	fi
	say "WARNING: $* — the browser tests will be skipped"
}

ensure_browser() {
	if [[ ${GONGSHI_NO_BROWSER:-} == 1 ]]; then
		no_browser "GONGSHI_NO_BROWSER=1"
		return 0
	fi
	local chromium
	chromium=$(command -v chromium || true)
	if [[ -z $chromium || ! -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]]; then
		if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
			say "installing chromium and fonts-noto-cjk from apt (about a minute, once)"
			if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; } >/dev/null 2>&1; then
				no_browser "apt-get install chromium fonts-noto-cjk failed"
				return 0
			fi
			chromium=$(command -v chromium || true)
		fi
	fi
	if [[ -z $chromium ]]; then
		no_browser "no chromium (apt-get install chromium fonts-noto-cjk)"
		return 0
	fi
	local axe_dir=$BROWSER_CACHE/npm/axe-core-$AXE_VERSION
	local axe=$axe_dir/node_modules/axe-core/axe.min.js
	if [[ ! -s $axe ]]; then
		if ! command -v npm >/dev/null; then
			no_browser "no npm to install axe-core@$AXE_VERSION"
			return 0
		fi
		say "installing axe-core@$AXE_VERSION from npm into $axe_dir"
		mkdir -p "$axe_dir"
		if ! npm install --silent --no-audit --no-fund --prefix "$axe_dir" "axe-core@$AXE_VERSION" >/dev/null 2>&1 || [[ ! -s $axe ]]; then
			no_browser "npm install axe-core@$AXE_VERSION failed"
			return 0
		fi
	fi
	export GONGSHI_TEST_CHROMIUM=$chromium
	export GONGSHI_TEST_AXE=$axe
	export GONGSHI_TEST_ARTIFACTS=${GONGSHI_TEST_ARTIFACTS:-$PWD/test-artifacts}
	mkdir -p "$GONGSHI_TEST_ARTIFACTS"
	say "browser: $("$chromium" --version 2>/dev/null | head -1), axe-core $AXE_VERSION; screenshots in $GONGSHI_TEST_ARTIFACTS"
}
