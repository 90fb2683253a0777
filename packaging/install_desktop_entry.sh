#!/usr/bin/env bash
# Add VertApp to the Linux desktop's application menu for the current user.
#   packaging/install_desktop_entry.sh /opt/vertapp/vertapp          (the frozen build)
#   packaging/install_desktop_entry.sh ~/vertapp-venv/bin/vertapp    (a wheelhouse install)
# Copies vertapp.desktop (Exec= set to that executable) and the icon sizes into
# ~/.local/share, where desktop environments look (freedesktop icon theme layout).
set -euo pipefail
exe="$(readlink -f "${1:?path of the vertapp executable}")"
bin="$(dirname "$exe")"
if [ -d "$bin/_internal/vertapp/resources" ]; then
    res="$bin/_internal/vertapp/resources"
else
    res="$("$bin/python" -c 'import vertapp.appresources as r; print(r.resource_path(r.DESKTOP_ENTRY).parent)')"
fi
share="${XDG_DATA_HOME:-$HOME/.local/share}"
for png in "$res"/icons/vertapp-*.png; do
    size="$(basename "$png" .png)"; size="${size#vertapp-}"
    install -D -m 644 "$png" "$share/icons/hicolor/${size}x${size}/apps/vertapp.png"
done
install -D -m 644 "$res/icons/vertapp.svg" "$share/icons/hicolor/scalable/apps/vertapp.svg"
mkdir -p "$share/applications"
sed -e "s|^Exec=vertapp |Exec=\"$exe\" |" -e "s|^TryExec=vertapp$|TryExec=$exe|" \
    "$res/vertapp.desktop" > "$share/applications/vertapp.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$share/applications" || true
echo "installed $share/applications/vertapp.desktop -> $exe"
