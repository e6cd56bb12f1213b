# The stack's messages in English. ky.ftl and ru.ftl hold the same messages with the same
# placeholders (a test fails otherwise). Only text and { $variables }: the kiosk and the
# scanner render these patterns themselves.

## Outcomes: one word each, on every screen, with its colour and shape.

outcome-valid = VALID
outcome-invalid = INVALID
outcome-indeterminate = INDETERMINATE
outcome-read-the-chip = READ THE CHIP
outcome-card-removed = CARD REMOVED
outcome-not-a-resident-card = NOT A RESIDENT CARD
outcome-card-unreadable = CARD UNREADABLE
outcome-waiting = PRESENT A CARD
outcome-can-needed = TYPE THE CAN
outcome-not-live = NOT LIVE
outcome-no-token = NO DESK TOKEN

## Why a document is invalid or cannot be decided (the reason codes of docs/policy.md).

reason-valid = every check passed
reason-malformed = the data is not a stay record (damaged or forged)
reason-bad-signature = the issuer's signature is wrong: data altered or forged
reason-signer-revoked = the key that signed this document has been revoked
reason-signer-not-authorized = the signing key may not issue this type of document
reason-signer-outside-period = the document was issued outside the signing key's period
reason-validity-exceeds-policy = the validity is longer than this document type allows
reason-valid-from-too-late = the validity starts later after issue than this document type allows
reason-document-revoked = this document has been revoked
reason-chip-proof-missing = the chip was not asked to prove it is genuine
reason-chip-proof-failed = the chip is not the one this document was issued on (copy or clone)
reason-not-yet-valid = the document is not valid yet
reason-expired = the document has expired
reason-chip-key-missing = a resident card without a chip key: not a card this authority issued
reason-portrait-mismatch = the portrait on the chip is not the one issued with this document
reason-suspended = the document is suspended: not valid until the authority lifts the suspension
reason-superseded = this document was replaced by a newer one: ask for the new document
reason-extension-exceeds-policy = the trust list extends this stay beyond what this document type allows
reason-portrait-not-read = the portrait could not be read from the chip: present the card again
reason-unknown-signer = the signing key is not on this terminal's trust list; update the list
reason-clock-before-trust-list = this terminal's clock is wrong (earlier than its trust list); fix the clock
reason-trust-list-stale = this terminal's trust list is out of date; revocations may be missing
reason-chip-not-read = a printed copy of a chip card: the data is genuine, but only the chip proves the card
reason-trust-list-unavailable = this terminal has no usable trust list (damaged); install the newest list

## The answer to the role's question.

decision-may-stay = may stay today
decision-may-not-stay = may NOT stay on this document
decision-may-employ = may be employed by you today
decision-may-not-employ = may NOT be employed: the document is invalid
decision-may-not-employ-digital-nomad = may NOT be employed: digital-nomad status excludes local employment
decision-may-not-employ-other-employer = may NOT be employed by you: the document names another employer
decision-may-not-employ-purpose-of-stay = may NOT be employed: the purpose of stay does not allow work
decision-card-verifies = the card verifies: it may be issued
decision-card-rejected = the card does NOT verify: spoil it
decision-refer = cannot decide here: refer for a second check
decision-read-the-chip = NOT decided: a printed copy proves no card; hold the card to the reader

role-border = border
role-employer = employer
role-station = station

## What the document in hand proves beyond its data.

presentation-chip = chip: genuine (answered this terminal's challenge)
presentation-printed-copy = PRINTED COPY of a chip card: proves no card is present; hold the card to the reader
presentation-printed = printed document: compare the holder with the photo on the printed card and with their passport

## The holder's portrait from the chip.

portrait-heading = Portrait from the chip
portrait-pending = reading the portrait from the chip…
portrait-matches = portrait: the one issued (signed digest matches); compare it with the holder
portrait-saved = portrait: the one issued (signed digest matches), saved to { $file }
portrait-none-issued = portrait: none issued with this document
portrait-mismatch = portrait: NOT the one issued with this document; not shown
portrait-not-read = portrait not read: the card left first; present it again to see the face
portrait-printed = no portrait in a printed code: compare the holder with the photo on the printed card

## What the trust list changed after issuance (the verdict's status change).

change-extended = stay extended until { $date } by trust list { $sequence } (the document itself says an earlier date)
change-suspended = suspended from { $date } by trust list { $sequence }
change-superseded = replaced on { $date } by document { $successor } (trust list { $sequence })

## The record's fields, as labels.

field-document-type = document type
field-document-number = document number
field-pin = personal number (PIN)
field-itn = taxpayer number
field-surname = surname
field-given-names = given names
field-nationality = nationality
field-date-of-birth = date of birth
field-sex = sex
field-purpose = purpose of stay
field-employer-tin = employer's taxpayer number
field-valid-from = valid from
field-valid-until = valid until
field-effective-valid-until = valid until (extended)
field-issue-date = issue date
field-issuing-authority = issuing authority
field-has-portrait-digest = portrait signed
field-source = source
field-checked-at = checked at

document-type-resident-card = resident card
document-type-unified-window = unified-window document
document-type-digital-nomad = digital-nomad status
purpose-work = work
purpose-study = study
purpose-family = family
purpose-business = business
purpose-remote-work = remote work
purpose-other = other
sex-F = female
sex-M = male
sex-X = unspecified
yes = yes
no = no

# A time a person reads: Bishkek time, which has no daylight saving.
time-bishkek = { $time } (Bishkek, UTC+6)

## Notices: what the desk says between verdicts.

notice-can-needed = type the six-digit CAN printed on the card's face, or show the face to the camera
notice-several-cards-wait = several cards wait for a CAN: leave only the card whose CAN was typed
notice-can-ready = CAN received: the card in the reader is opened with it
notice-can-already-waits = a CAN already waits for the card: the first one given is used
notice-wrong-can = the CAN does not open this card: check the six digits on its face and type them again
notice-card-removed-before = card removed before it could be read; present it again
notice-card-removed = card removed during the check; present it again
notice-not-a-resident-card = not a resident card (no resident-card application on it)
notice-card-mute = the card does not answer (mute)
notice-card-unreadable = the card cannot be read: { $detail }
notice-portrait = the portrait on the chip is the one issued: compare it with the holder
notice-portrait-not-read = card removed before its portrait was read: present it again to see the face
notice-portrait-none-issued = no portrait was issued with this document
notice-qr-unreadable = no readable QR code: { $detail }
notice-source-unavailable = { $detail }; retrying
notice-source-back = frames again
notice-reader-added = reader ready
notice-reader-removed = reader unplugged
notice-pcscd-unavailable = pcscd unavailable: { $detail }; retrying
notice-pcscd-lost = pcscd went away ({ $detail }); reconnecting
notice-pcscd-back = pcscd is back; watching readers again
notice-trust-list = trust list refresh: { $result } ({ $detail })
notice-audit-failing = the audit log cannot be written ({ $detail }); verdicts go on, and their rows wait in memory ({ $waiting } now)
notice-audit-back = the audit log is written again, with the rows that waited

## The command line.

cli-can-needed = the chip opens only over PACE: give the six-digit CAN printed on the card's face (--can 123456)
cli-wrong-can = the CAN does not open this card ({ $detail }): check the six digits on its face
cli-cannot-read = cannot read { $file }: { $detail }
cli-cannot-create = cannot create { $file }: { $detail }
cli-cannot-listen = cannot listen on { $address }: { $detail }
cli-trust-list-refused = trust list { $file } refused: { $detail }
cli-give-a-source = give --record, --qr or --card
cli-wait-seconds = --wait: a number of seconds
cli-can-digits = --can: six digits
cli-no-card = no card in any reader within { $seconds } s
cli-no-card-in = no card in { $reader } within { $seconds } s
cli-employer-tin-digits = --employer-tin must be 14 digits
cli-employer-needs-tin = --role employer needs --employer-tin
cli-tin-without-employer = --employer-tin is for --role employer
cli-role = --role: border or employer
cli-no-such-image = no such image { $file }
cli-portrait-unsigned = no signed portrait from the card: { $detail }
desk-listening = kiosk at { $url } (role { $role }; `reader-host kiosk-url` gives the address with the desk token)
scan-qr-codes = { $file }: { $count } code(s)
audit-chip = chip

## The issuing authority's tools.

issuer-init-created = authority created in { $dir }
issuer-init-root = root key { $key }: root.key.pem, root.pub.pem
issuer-init-signer = { $type }: signing key { $key }, { $file }
issuer-init-personalization = personalization key { $key }: personalization.key.pem
issuer-init-list = trust list: trust.list (its source: list.toml)
issuer-init-service = signing service: signing.tokens (station-1's token: station-1.token)
issuer-init-holders = sample holders: holders/*.toml, their portraits holders/*.jpg
issuer-record-signed = { $file }: { $bytes } bytes, { $type } { $number }
issuer-list-signed = { $file }: { $bytes } bytes, sequence { $sequence }
issuer-list-does-not-load = the list just signed does not load back ({ $reason }); nothing was written
issuer-serve-key = key { $key } signs { $types }, issued { $from } to { $until }
issuer-serve-list = trust list sequence { $sequence }
issuer-token-created = { $file }: token for { $label }, added to { $tokens }
issuer-qr-written = { $file }: QR code of { $bytes } bytes
issuer-document-written = { $file }: the electronic document, { $bytes } bytes
issuer-refused-to-sign = refused to sign { $file }: { $reason }
issuer-not-a-record = { $file } is not a stay record: { $detail }
issuer-label-one-word = --label: one word, such as station-2
document-qr-note = this code carries the signed record: any desk, scanner or phone checks it against the current trust list

## The history of a stay after issuance (issuer extend, suspend, lift, supersede).

status-bad-value = { $field }: { $value } is not { $expected }
status-expected-date = a date YYYY-MM-DD
status-expected-time = an RFC 3339 time
status-expected-number = a document number (1-16 of A-Z 0-9)
status-expected-type = resident-card, unified-window or digital-nomad
status-bad-date = { $option }: { $value } is not a date YYYY-MM-DD
status-missing = { $action } needs { $field }
status-in-the-past = { $date } is before the day the step is recorded ({ $today }): a change never reaches back
status-not-later = the new valid-until { $until } is not later than the stay's { $current }
status-not-extendable = a { $type } is not extended (the policy allows no extension)
status-exceeds-policy = a { $type } lasts at most { $days } days from its valid-from with every extension: { $latest } at the latest
status-already-suspended = { $number } is already suspended (since { $since })
status-not-suspended = { $number } is not suspended: nothing to lift
status-superseded = { $number } was superseded by { $successor }: nothing changes it any more
status-revoked = { $number } is revoked: a revoked document has no stay to change
status-supersede-types = only a unified-window document is superseded, and only by a resident card
status-supersedes-itself = a document does not supersede itself
status-other-holder = the two documents are not the same holder's (their PINs differ)
status-refused = refused, nothing written to { $file } (step { $step }, { $number }): { $reason }
status-now-extended = { $number }: stay extended until { $date }
status-now-suspended = { $number }: suspended from { $date }
status-now-superseded = { $number }: replaced by { $successor } from { $date }
status-now-as-issued = { $number }: no change in force, valid as issued
status-recorded = recorded in { $file } as step { $step }; sign the list (issuer sign-list) to publish it
show-record = Stay record, { $bytes } bytes (signature not checked: use reader-host verify)
show-list = Trust list, { $bytes } bytes
show-signature-not-checked = not checked (pass --root-key)
show-signature-valid = valid
show-signature-invalid = INVALID: { $detail }
show-signers = signing keys ({ $count }):
show-revoked-signers = revoked signing keys ({ $count }):
show-revoked-documents = revoked documents ({ $count }):
show-status-changes = status changes ({ $count }):
field-sequence = sequence
field-issued-at = issued at
field-next-update = next update
field-signature = signature
field-signer-key-id = signing key
field-chip-public-key = chip public key
field-portrait-digest = portrait digest (SHA-256)

## Why the issuer refuses to sign (each names what to fix).

refusal-unreadable = the holder file cannot be parsed: { $detail }
refusal-pin = pin: must be exactly { $expected } digits, got "{ $got }"
refusal-validity-inverted = valid_until ({ $until }) is before valid_from ({ $from })
refusal-issued-after-expiry = issue_date ({ $issue }) is after valid_until ({ $until })
refusal-validity-too-long = a validity of { $days } days exceeds the { $max } days a { $type } may have
refusal-valid-from-too-late = valid_from is { $days } days after the issue date; a { $type } may start at most { $max } days after it
refusal-missing-itn = a resident card must carry the holder's taxpayer number (itn)
refusal-missing-chip-key = a resident card is a chip card: chip_public_key is required (the station has the card generate it)
refusal-nomad-with-employer = a digital nomad has no local employer: remove employer_tin
refusal-nomad-purpose = a digital nomad's purpose of stay is remote work, not { $purpose }
refusal-signer-not-listed = signing key { $key } is not on the trust list
refusal-signer-revoked = signing key { $key } is revoked
refusal-signer-not-authorized = signing key { $key } is not authorized to sign a { $type }
refusal-signer-outside-period = issue date { $issue } is outside signing key { $key }'s period { $from } to { $until }
refusal-no-signer-key = no signing key was given
refusal-no-authorized-signer = none of the signing keys may sign a { $type } issued on { $issue }
refusal-format = the record format refuses it: { $detail }
invalid-not-a-date = { $field }: "{ $value }" is not a date YYYY-MM-DD
invalid-not-hex = { $field }: not hexadecimal
invalid-length = { $field }: { $got } bytes, { $expected } expected
invalid-not-one-of = { $field }: "{ $value }" is not one of { $allowed }
invalid-digits = { $field }: must be exactly { $expected } digits, got "{ $got }"
invalid-not-a-point = { $field }: not an uncompressed P-256 point
invalid-not-in-format = { $field }: not allowed by the record format (see docs/formats.md)
portrait-refusal-too-long = portrait { $file }: { $bytes } bytes, the chip holds at most { $max }
portrait-refusal-not-jpeg = portrait { $file }: not a JPEG image
portrait-refusal-dimensions = portrait { $file }: { $size } pixels, must be { $min } to { $max }
portrait-refusal-not-upright = portrait { $file }: { $size } pixels is not upright (taller than wide)
list-sequence-not-increasing = sequence { $new } does not increase on the previous list's { $previous }
list-previous-refused = the previous list is refused: { $detail }

## The kiosk page.

kiosk-title = Resident card check
kiosk-language = Language
kiosk-can-label = CAN (six digits on the card's face, or show the face to the camera):
kiosk-can-button = Open the chip
kiosk-open-url = Open the address that `reader-host kiosk-url` prints.
kiosk-connecting = connecting…
kiosk-live = live
kiosk-reconnecting = reconnecting…
kiosk-retrying = not live: trying again
kiosk-rehearsal = REHEARSAL: verdicts are for { $time } (fixed_time), not for today
kiosk-qr-matches = QR matches chip
kiosk-qr-mismatch = QR DOES NOT MATCH CHIP
kiosk-chip-genuine = chip genuine
kiosk-fields = The holder's data

## The personalization station.

station-row-skipped = line { $line }: skipped: { $reason }
station-signing-through = signing through { $url }: keys { $keys }, trust list sequence { $sequence }
station-applications-read = { $read } applications read ({ $new } new), { $bad } bad rows; { $pending } to issue
station-insert-card = insert a blank card for { $name }
station-issued = issued { $number } to { $name } (card { $serial })
station-spoiled = SPOILED card { $serial } ({ $number }, { $name }): { $reason }
station-card-not-used = card not used: { $reason }
station-card-unusable = the card in { $reader } cannot be used ({ $detail }): take it out
station-failed = FAILED { $name }: { $reason }
station-recovered = after the last stop: card { $serial } ({ $number }) { $outcome }
station-stopped = station stopped: { $reason }
station-summary = issued { $issued }, spoiled { $spoiled }, failed { $failed }, bad rows { $bad }, still pending { $pending }
station-finished-at = finished at { $time }
station-retired-file = every retired number is in { $file }: revoke them through the trust list
station-summary-spoiled = spoiled card { $serial } ({ $number }): { $reason }; retire the card, revoke the number
station-summary-failed = failed { $name }: { $reason }
station-summary-bad-row = line { $line }: { $reason }
station-faces = card-face QR codes in { $dir }

## The scanner's screen (short: 240 pixels wide).

scanner-present-card = Hold the card to the scanner
scanner-enter-can = Enter the CAN
scanner-name = Name
scanner-valid-until = Valid until
scanner-extended = stay extended by the trust list
scanner-successor = New document
scanner-number = Number
scanner-ready = READY
scanner-list = trust list { $sequence }
scanner-no-trust-list = NO TRUST LIST: nothing can be valid
scanner-face-read = CARD FACE READ
scanner-now-hold-card = now hold the card itself to the antenna
scanner-show-face = SHOW THE CARD FACE
scanner-show-face-first = show the card's face to the imager first: its code opens the chip
scanner-wrong-face = WRONG CARD FACE
scanner-wrong-face-detail = the code is another card's: show the face of this card
scanner-no-resident-chip = this card has no resident-card chip application
scanner-hold-still = hold the card still and present it again
scanner-code-again = TRY AGAIN
scanner-show-code-again = show the code to the imager again
scanner-printed-copy = printed copy: hold the card itself to the scanner

## The employer's watch (reader-host watch).

watch-revoked = { $name } ({ $number }): REVOKED: may not be employed on this document
watch-suspended = { $name } ({ $number }): suspended from { $date }
watch-superseded = { $name } ({ $number }): replaced by document { $successor } from { $date }: ask for the new document
watch-ends = { $name } ({ $number }): the stay ends on { $date }, in { $days } days
watch-ended = { $name } ({ $number }): the stay ended on { $date }
watch-summary = { $count } of { $total } watched documents need attention (trust list { $sequence })
watch-added = { $name } ({ $number }) is watched in { $file }
watch-not-authentic = { $file } is not an authentic stay record ({ $reason }): not added
