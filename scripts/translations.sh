#!/usr/bin/env bash
# Translation catalogues: one per part (shared strings, then each surface), French being the source.
#   scripts/translations.sh update   extract the strings and update every catalogue (developers)
#   scripts/translations.sh compile  compile the catalogues (set-up; .mo files are not committed)
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
# What a visitor reads (the shared strings: the domain's messages, the messages sent to phones; the kiosk surface:
# check-in, ticket, survey) is in eight languages; the staff's console and the waiting-room screen in three
# (accueil/i18n.py: VISITOR_LOCALES, STAFF_LOCALES).
VISITOR_LOCALES=(en ar es pt tr ro uk)
STAFF_LOCALES=(en ar)
PARTS=(. kiosk display agent_console)

for part in "${PARTS[@]}"; do
  dir="$part/translations"
  case "$part" in
    .|kiosk) LOCALES=("${VISITOR_LOCALES[@]}") ;;
    *) LOCALES=("${STAFF_LOCALES[@]}") ;;
  esac
  case "${1:-}" in
    update)
      mkdir -p "$dir"
      if [ "$part" = . ]; then cfg=babel.cfg; src=.; else cfg="$part/babel.cfg"; src=.; fi
      "$PYBABEL" extract -F "$cfg" -k N_ -k _ -k gettext -k ngettext:1,2 --no-location --sort-output \
        --project=accueil --copyright-holder="Accueil" -o "$dir/messages.pot" "$src"
      for l in "${LOCALES[@]}"; do
        if [ -f "$dir/$l/LC_MESSAGES/messages.po" ]; then
          "$PYBABEL" update --no-fuzzy-matching -i "$dir/messages.pot" -d "$dir" -l "$l"
        else
          "$PYBABEL" init -i "$dir/messages.pot" -d "$dir" -l "$l"
        fi
      done ;;
    compile)
      [ -d "$dir" ] && ls "$dir"/*/LC_MESSAGES/messages.po >/dev/null 2>&1 && "$PYBABEL" compile -d "$dir" || true ;;
    *) echo "usage: $0 update|compile" >&2; exit 2 ;;
  esac
done
