# scripts/fonts.sh — sourced by scripts/test: the TrueType fonts the query-code
# notices' PDF is set in (portal/household_notice.go): Debian's
# fonts-droid-fallback (Chinese) and fonts-dejavu-core (Latin). Installed from
# apt when missing (root only). With CI=true fonts that cannot be had fail the
# run; elsewhere the PDF tests are skipped with a warning. GONGSHI_NO_BROWSER=1
# skips the install as it does the browser's.

NOTICE_FONTS=(/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf)

notice_fonts_present() {
	local f
	for f in "${NOTICE_FONTS[@]}"; do
		[[ -s $f ]] || return 1
	done
}

ensure_notice_fonts() {
	if notice_fonts_present; then
		return 0
	fi
	if [[ ${GONGSHI_NO_BROWSER:-} != 1 ]] && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
		say "installing fonts-droid-fallback and fonts-dejavu-core from apt (the PDF notices' fonts)"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-droid-fallback fonts-dejavu-core; } >/dev/null 2>&1 || true
	fi
	if notice_fonts_present; then
		return 0
	fi
	if is_ci; then
		say "FAIL: no ${NOTICE_FONTS[*]} (apt-get install fonts-droid-fallback fonts-dejavu-core; CI=true: the PDF tests must run)"
		exit 1
	fi
	say "WARNING: no fonts for the PDF notices (apt-get install fonts-droid-fallback fonts-dejavu-core) — their tests will be skipped"
}
