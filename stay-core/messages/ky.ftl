# Кыргыз тилиндеги билдирүүлөр: en.ftl'дагы эле билдирүүлөр, ошол эле орун толтургучтар.

## Текшерүүнүн жыйынтыгы.

outcome-valid = ЖАРАКТУУ
outcome-invalid = ЖАРАКСЫЗ
outcome-indeterminate = АНЫКТАЛГАН ЖОК
outcome-read-the-chip = ЧИПТИ ОКУҢУЗ
outcome-card-removed = КАРТА АЛЫНДЫ
outcome-not-a-resident-card = РЕЗИДЕНТ КАРТАСЫ ЭМЕС
outcome-card-unreadable = КАРТА ОКУЛБАЙТ
outcome-waiting = КАРТАНЫ ТИЙГИЗИҢИЗ
outcome-can-needed = CAN ТЕРИҢИЗ
outcome-not-live = БАЙЛАНЫШ ЖОК
outcome-no-token = ПУНКТТУН ТОКЕНИ ЖОК

## Себептер.

reason-valid = бардык текшерүүлөрдөн өттү
reason-malformed = маалымат болуу жөнүндө жазуу эмес (бузулган же жасалма)
reason-bad-signature = берген органдын колтамгасы туура эмес: маалымат өзгөртүлгөн же жасалма
reason-signer-revoked = бул документке кол койгон ачкыч жокко чыгарылган
reason-signer-not-authorized = бул ачкыч мындай түрдөгү документке кол коё албайт
reason-signer-outside-period = документ колтамга ачкычынын мөөнөтүнөн тышкары берилген
reason-validity-exceeds-policy = жарактуулук мөөнөтү бул документ түрүнө уруксат берилгенден узун
reason-valid-from-too-late = жарактуулук берилгенден кийин бул документ түрүнө уруксат берилгенден кеч башталат
reason-document-revoked = бул документ жокко чыгарылган
reason-chip-proof-missing = чиптен анын чыныгы экенин далилдөө суралган жок
reason-chip-proof-failed = бул документ берилген чип эмес (көчүрмө же клон)
reason-not-yet-valid = документ азырынча күчүнө кире элек
reason-expired = документтин мөөнөтү бүттү
reason-chip-key-missing = чип ачкычы жок резидент картасы: бул органдын картасы эмес
reason-portrait-mismatch = чиптеги сүрөт бул документ менен берилген сүрөт эмес
reason-suspended = документтин күчү убактылуу токтотулган: орган токтотууну алмайынча жарактуу эмес
reason-superseded = бул документ жаңысы менен алмаштырылган: жаңы документти сураңыз
reason-extension-exceeds-policy = ишеним тизмеси болууну бул документ түрүнө уруксат берилгенден узак узартат
reason-portrait-not-read = сүрөттү чиптен окууга мүмкүн болгон жок: картаны кайра тийгизиңиз
reason-unknown-signer = колтамга ачкычы бул терминалдын ишеним тизмесинде жок; тизмени жаңыртыңыз
reason-clock-before-trust-list = бул терминалдын сааты туура эмес (ишеним тизмесинен эрте); саатты оңдоңуз
reason-trust-list-stale = бул терминалдын ишеним тизмеси эскирген; жокко чыгаруулар жетпей калышы мүмкүн
reason-chip-not-read = чиптүү картанын басма көчүрмөсү: маалымат чыныгы, бирок картаны чип гана далилдейт
reason-trust-list-unavailable = бул терминалда жарамдуу ишеним тизмеси жок (бузулган); эң жаңы тизмени орнотуңуз

## Чечимдер.

decision-may-stay = бүгүн өлкөдө болууга укуктуу
decision-may-not-stay = бул документ менен өлкөдө болууга укуксуз
decision-may-employ = бүгүн сиз жумушка ала аласыз
decision-may-not-employ = жумушка алууга БОЛБОЙТ: документ жараксыз
decision-may-not-employ-digital-nomad = жумушка алууга БОЛБОЙТ: санариптик көчмөн статусу жергиликтүү жумушка алууну жокко чыгарат
decision-may-not-employ-other-employer = сиз жумушка ала АЛБАЙСЫЗ: документте башка иш берүүчү көрсөтүлгөн
decision-may-not-employ-purpose-of-stay = жумушка алууга БОЛБОЙТ: болуу максаты иштөөгө уруксат бербейт
decision-card-verifies = карта текшерүүдөн өттү: аны берүүгө болот
decision-card-rejected = карта текшерүүдөн ӨТКӨН ЖОК: аны жараксыз кылыңыз
decision-refer = бул жерде чечүүгө болбойт: кайра текшерүүгө жибериңиз
decision-read-the-chip = ЧЕЧИЛГЕН ЖОК: басма көчүрмө картаны далилдебейт; картаны окургучка тийгизиңиз

role-border = чек ара
role-employer = иш берүүчү
role-station = станция

## Көрсөтүлгөн документ эмнени далилдейт.

presentation-chip = чип: чыныгы (бул терминалдын суроосуна жооп берди)
presentation-printed-copy = чиптүү картанын БАСМА КӨЧҮРМӨСҮ: карта бар экенин далилдебейт; картаны окургучка тийгизиңиз
presentation-printed = басма документ: ээсин басма картадагы сүрөт жана анын паспорту менен салыштырыңыз

## Чиптеги ээсинин сүрөтү.

portrait-heading = Чиптеги сүрөт
portrait-pending = сүрөт чиптен окулууда…
portrait-matches = сүрөт: берилген сүрөт (кол коюлган хеш дал келет); аны ээси менен салыштырыңыз
portrait-saved = сүрөт: берилген сүрөт (кол коюлган хеш дал келет), { $file } ичине сакталды
portrait-none-issued = сүрөт: бул документ менен берилген эмес
portrait-mismatch = сүрөт: бул документ менен берилген сүрөт ЭМЕС; көрсөтүлбөйт
portrait-not-read = сүрөт окулган жок: карта эрте алынды; жүзүн көрүү үчүн кайра тийгизиңиз
portrait-printed = басма коддо сүрөт жок: ээсин басма картадагы сүрөт менен салыштырыңыз

## Берилгенден кийин ишеним тизмеси эмнени өзгөрттү (өкүмдөгү статустун өзгөрүшү).

change-extended = болуу мөөнөтү { $date } чейин узартылган, ишеним тизмеси { $sequence } (документтин өзүндө мурунку күн жазылган)
change-suspended = { $date } тартып күчү токтотулган, ишеним тизмеси { $sequence }
change-superseded = { $date } күнү { $successor } документи менен алмаштырылган (ишеним тизмеси { $sequence })

## Жазуунун талаалары.

field-document-type = документтин түрү
field-document-number = документтин номери
field-pin = жеке номери (ЖИН)
field-itn = салык төлөөчүнүн номери
field-surname = фамилиясы
field-given-names = аты
field-nationality = жарандыгы
field-date-of-birth = туулган күнү
field-sex = жынысы
field-purpose = болуу максаты
field-employer-tin = иш берүүчүнүн салык номери
field-valid-from = жарактуу күнү башталат
field-valid-until = жарактуулук мөөнөтү
field-effective-valid-until = жарактуулук мөөнөтү (узартылган)
field-issue-date = берилген күнү
field-issuing-authority = берген орган
field-has-portrait-digest = сүрөткө кол коюлган
field-source = булак
field-checked-at = текшерилди

document-type-resident-card = резидент картасы
document-type-unified-window = «бирдиктүү терезе» документи
document-type-digital-nomad = санариптик көчмөн статусу
purpose-work = иш
purpose-study = окуу
purpose-family = үй-бүлө
purpose-business = бизнес
purpose-remote-work = алыстан иштөө
purpose-other = башка
sex-F = аял
sex-M = эркек
sex-X = көрсөтүлгөн эмес
yes = ооба
no = жок

time-bishkek = { $time } (Бишкек убактысы, UTC+6)

## Билдирмелер.

notice-can-needed = картанын бетиндеги алты сандуу CAN териңиз же картанын бетин камерага көрсөтүңүз
notice-several-cards-wait = бир нече карта CAN күтүүдө: CAN терилген картаны гана калтырыңыз
notice-can-ready = CAN алынды: окургучтагы карта аны менен ачылат
notice-can-already-waits = карта үчүн CAN мурунтан күтүүдө: биринчи берилгени колдонулат
notice-wrong-can = CAN бул картаны ачпайт: бетиндеги алты санды текшерип, кайра териңиз
notice-card-removed-before = карта окулганга чейин алынды; кайра тийгизиңиз
notice-card-removed = карта текшерүү учурунда алынды; кайра тийгизиңиз
notice-not-a-resident-card = резидент картасы эмес (анда резидент картасынын тиркемеси жок)
notice-card-mute = карта жооп бербейт
notice-card-unreadable = картаны окууга болбойт: { $detail }
notice-portrait = чиптеги сүрөт берилген сүрөт: аны ээси менен салыштырыңыз
notice-portrait-not-read = карта сүрөтү окулганга чейин алынды: жүзүн көрүү үчүн кайра тийгизиңиз
notice-portrait-none-issued = бул документ менен сүрөт берилген эмес
notice-qr-unreadable = QR-код окулбайт: { $detail }
notice-source-unavailable = { $detail }; кайталап жатабыз
notice-source-back = кадрлар кайра келүүдө
notice-reader-added = окургуч даяр
notice-reader-removed = окургуч ажыратылды
notice-pcscd-unavailable = pcscd жеткиликсиз: { $detail }; кайталап жатабыз
notice-pcscd-lost = pcscd жоголду ({ $detail }); кайра туташып жатабыз
notice-pcscd-back = pcscd кайра иштеп жатат; окургучтарды көзөмөлдөйбүз
notice-trust-list = ишеним тизмесин жаңыртуу: { $result } ({ $detail })
notice-audit-failing = аудит журналын жазууга болбойт ({ $detail }); текшерүүлөр улантылат, алардын саптары эс тутумда күтөт (азыр { $waiting })
notice-audit-back = аудит журналы кайра жазылууда, күткөн саптары менен

## Буйрук сабы.

cli-can-needed = чип PACE аркылуу гана ачылат: картанын бетиндеги алты сандуу CAN көрсөтүңүз (--can 123456)
cli-wrong-can = CAN бул картаны ачпайт ({ $detail }): бетиндеги алты санды текшериңиз
cli-cannot-read = { $file } окулбай жатат: { $detail }
cli-cannot-create = { $file } түзүлбөй жатат: { $detail }
cli-cannot-listen = { $address } дарегинде байланыш кабыл алынбай жатат: { $detail }
cli-trust-list-refused = { $file } ишеним тизмеси четке кагылды: { $detail }
cli-give-a-source = --record, --qr же --card көрсөтүңүз
cli-wait-seconds = --wait: секунддардын саны
cli-can-digits = --can: алты сан
cli-no-card = { $seconds } секунддун ичинде эч бир окургучта карта жок
cli-no-card-in = { $seconds } секунддун ичинде { $reader } окургучунда карта жок
cli-employer-tin-digits = --employer-tin так 14 сан болушу керек
cli-employer-needs-tin = --role employer үчүн --employer-tin керек
cli-tin-without-employer = --employer-tin --role employer үчүн гана
cli-role = --role: border же employer
cli-no-such-image = { $file } сүрөтү жок
cli-portrait-unsigned = картадан кол коюлган сүрөт алынган жок: { $detail }
desk-listening = киоск { $url } дарегинде (ролу { $role }; токени менен дарегин `reader-host kiosk-url` берет)
scan-qr-codes = { $file }: коддор: { $count }
audit-chip = чип

## Берүүчү органдын куралдары.

issuer-init-created = берүүчү орган { $dir } ичинде түзүлдү
issuer-init-root = тамыр ачкычы { $key }: root.key.pem, root.pub.pem
issuer-init-signer = { $type }: колтамга ачкычы { $key }, { $file }
issuer-init-personalization = персоналдаштыруу ачкычы { $key }: personalization.key.pem
issuer-init-list = ишеним тизмеси: trust.list (булагы: list.toml)
issuer-init-service = кол коюу кызматы: signing.tokens (station-1 токени: station-1.token)
issuer-init-holders = ээлеринин үлгүлөрү: holders/*.toml, сүрөттөрү holders/*.jpg
issuer-record-signed = { $file }: { $bytes } байт, { $type } { $number }
issuer-list-signed = { $file }: { $bytes } байт, тизменин номери { $sequence }
issuer-list-does-not-load = жаңы кол коюлган тизме кайра жүктөлбөйт ({ $reason }); эч нерсе жазылган жок
issuer-serve-key = { $key } ачкычы кол коёт: { $types }; берүү мезгили { $from } – { $until }
issuer-serve-list = ишеним тизмесинин номери { $sequence }
issuer-token-created = { $file }: { $label } үчүн токен, { $tokens } файлына кошулду
issuer-qr-written = { $file }: { $bytes } байттык QR-код
issuer-document-written = { $file }: электрондук документ, { $bytes } байт
issuer-refused-to-sign = { $file } үчүн кол коюудан баш тартылды: { $reason }
issuer-not-a-record = { $file } болуу жөнүндө жазуу эмес: { $detail }
issuer-label-one-word = --label: бир сөз, мисалы station-2
document-qr-note = бул коддо кол коюлган жазуу бар: каалаган терминал, сканер же телефон аны учурдагы ишеним тизмеси боюнча текшерет

## Берилгенден кийинки болуунун тарыхы (issuer extend, suspend, lift, supersede).

status-bad-value = { $field }: { $value } { $expected } эмес
status-expected-date = ЖЖЖЖ-АА-КК күнү
status-expected-time = RFC 3339 убактысы
status-expected-number = документтин номери (A-Z 0-9, 1–16 белги)
status-expected-type = resident-card, unified-window же digital-nomad
status-bad-date = { $option }: { $value } ЖЖЖЖ-АА-КК күнү эмес
status-missing = { $action } үчүн { $field } керек
status-in-the-past = { $date } кадам жазылган күндөн ({ $today }) мурда: өзгөрүү артка карай күчүнө кирбейт
status-not-later = жаңы мөөнөт { $until } азыркы { $current } мөөнөтүнөн кеч эмес
status-not-extendable = «{ $type }» узартылбайт (саясат узартууга жол бербейт)
status-exceeds-policy = «{ $type }» бардык узартуулары менен башталышынан { $days } күндөн ашпайт: эң кечи { $latest }
status-already-suspended = { $number } мурунтан токтотулган ({ $since } тартып)
status-not-suspended = { $number } токтотулган эмес: алына турган эч нерсе жок
status-superseded = { $number } { $successor } документи менен алмаштырылган: аны эми эч нерсе өзгөртпөйт
status-revoked = { $number } жокко чыгарылган: жокко чыгарылган документтин өзгөртө турган болуусу жок
status-supersede-types = бирдиктүү терезе документи гана алмаштырылат, резидент картасы менен гана
status-supersedes-itself = документ өзүн өзү алмаштыра албайт
status-other-holder = эки документ башка-башка ээлердики (ПИН айырмаланат)
status-refused = баш тартылды, { $file } ичине эч нерсе жазылган жок (кадам { $step }, { $number }): { $reason }
status-now-extended = { $number }: болуу мөөнөтү { $date } чейин узартылды
status-now-suspended = { $number }: { $date } тартып токтотулду
status-now-superseded = { $number }: { $date } тартып { $successor } менен алмаштырылды
status-now-as-issued = { $number }: күчүндөгү өзгөрүү жок, берилгендей жарактуу
status-recorded = { $file } ичине { $step }-кадам болуп жазылды; жарыялоо үчүн тизмеге кол коюңуз (issuer sign-list)
show-record = Болуу жазуусу, { $bytes } байт (кол текшерилген жок: reader-host verify колдонуңуз)
show-list = Ишеним тизмеси, { $bytes } байт
show-signature-not-checked = текшерилген жок (--root-key көрсөтүңүз)
show-signature-valid = туура
show-signature-invalid = ТУУРА ЭМЕС: { $detail }
show-signers = колтамга ачкычтары ({ $count }):
show-revoked-signers = жокко чыгарылган колтамга ачкычтары ({ $count }):
show-revoked-documents = жокко чыгарылган документтер ({ $count }):
show-status-changes = статустун өзгөрүштөрү ({ $count }):
field-sequence = тизменин номери
field-issued-at = чыгарылган убакыты
field-next-update = кийинки жаңыртуу
field-signature = кол
field-signer-key-id = колтамга ачкычы
field-chip-public-key = чиптин ачык ачкычы
field-portrait-digest = сүрөттүн хеши (SHA-256)

## Берүүчү эмне үчүн кол коюудан баш тартат (ар бири эмнени оңдоо керектигин айтат).

refusal-unreadable = ээсинин файлы талданбайт: { $detail }
refusal-pin = pin: так { $expected } сан болушу керек, берилгени «{ $got }»
refusal-validity-inverted = valid_until ({ $until }) valid_from ({ $from }) күнүнөн мурун
refusal-issued-after-expiry = issue_date ({ $issue }) valid_until ({ $until }) күнүнөн кийин
refusal-validity-too-long = { $days } күндүк мөөнөт уруксат берилгенден ашат: { $type } — эң көп { $max } күн
refusal-valid-from-too-late = valid_from берилген күндөн { $days } күн кийин; { $type } — эң көп { $max } күн
refusal-missing-itn = резидент картасында ээсинин салык номери (itn) болушу керек
refusal-missing-chip-key = резидент картасы чиптүү карта: chip_public_key керек (станция аны картанын өзүнөн алат)
refusal-nomad-with-employer = санариптик көчмөндүн жергиликтүү иш берүүчүсү жок: employer_tin алып салыңыз
refusal-nomad-purpose = санариптик көчмөндүн болуу максаты алыстан иштөө, { $purpose } эмес
refusal-signer-not-listed = { $key } колтамга ачкычы ишеним тизмесинде жок
refusal-signer-revoked = { $key } колтамга ачкычы жокко чыгарылган
refusal-signer-not-authorized = { $key } колтамга ачкычы бул түрдөгү документке кол коё албайт: { $type }
refusal-signer-outside-period = { $issue } берилген күнү { $key } ачкычынын мезгилинен тышкары: { $from } – { $until }
refusal-no-signer-key = колтамга ачкычы берилген жок
refusal-no-authorized-signer = { $issue } күнү берилген бул түрдөгү документке бир да ачкыч кол коё албайт: { $type }
refusal-format = жазуунун форматы муну кабыл албайт: { $detail }
invalid-not-a-date = { $field }: «{ $value }» ЖЖЖЖ-АА-КК күнү эмес
invalid-not-hex = { $field }: он алтылык маани эмес
invalid-length = { $field }: { $got } байт, { $expected } күтүлгөн
invalid-not-one-of = { $field }: «{ $value }» булардын бири эмес: { $allowed }
invalid-digits = { $field }: так { $expected } сан болушу керек, берилгени «{ $got }»
invalid-not-a-point = { $field }: кысылбаган P-256 чекити эмес
invalid-not-in-format = { $field }: жазуунун форматы уруксат бербейт (docs/formats.md караңыз)
portrait-refusal-too-long = сүрөт { $file }: { $bytes } байт, чипке эң көп { $max } батат
portrait-refusal-not-jpeg = сүрөт { $file }: JPEG сүрөтү эмес
portrait-refusal-dimensions = сүрөт { $file }: { $size } пиксель, { $min } – { $max } болушу керек
portrait-refusal-not-upright = сүрөт { $file }: { $size } пиксель тик эмес (бийиктиги туурасынан чоң болушу керек)
list-sequence-not-increasing = { $new } номери мурунку тизменин { $previous } номеринен чоң эмес
list-previous-refused = мурунку тизме четке кагылды: { $detail }

## Киоск барагы.

kiosk-title = Резидент картасын текшерүү
kiosk-language = Тил
kiosk-can-label = CAN (картанын бетиндеги алты сан, же бетин камерага көрсөтүңүз):
kiosk-can-button = Чипти ачуу
kiosk-open-url = `reader-host kiosk-url` басып чыгарган даректи ачыңыз.
kiosk-connecting = туташууда…
kiosk-live = байланышта
kiosk-reconnecting = кайра туташууда…
kiosk-retrying = байланыш жок: кайра аракет кылабыз
kiosk-rehearsal = МАШЫГУУ: текшерүүлөр { $time } үчүн (fixed_time), бүгүн үчүн эмес
kiosk-qr-matches = QR чипке дал келет
kiosk-qr-mismatch = QR ЧИПКЕ ДАЛ КЕЛБЕЙТ
kiosk-chip-genuine = чип чыныгы
kiosk-fields = Ээсинин маалыматы

## Персоналдаштыруу станциясы.

station-row-skipped = { $line }-сап: өткөрүлүп жиберилди: { $reason }
station-signing-through = { $url } аркылуу кол коюу: ачкычтар { $keys }, ишеним тизмеси № { $sequence }
station-applications-read = окулган арыздар: { $read } (жаңы { $new }), ката саптар: { $bad }; берилүүчү: { $pending }
station-insert-card = { $name } үчүн таза картаны салыңыз
station-issued = { $number } { $name } үчүн берилди (карта { $serial })
station-spoiled = карта { $serial } БУЗУЛДУ ({ $number }, { $name }): { $reason }
station-card-not-used = карта колдонулган жок: { $reason }
station-card-unusable = { $reader } ичиндеги картаны колдонууга болбойт ({ $detail }): аны чыгарып алыңыз
station-failed = КАТА { $name }: { $reason }
station-recovered = акыркы токтоодон кийин: карта { $serial } ({ $number }) { $outcome }
station-stopped = станция токтоду: { $reason }
station-summary = берилди { $issued }, бузулду { $spoiled }, ката { $failed }, ката саптар { $bad }, дагы күтүүдө { $pending }
station-finished-at = бүттү { $time }
station-retired-file = бардык чыгарылган номерлер { $file } ичинде: аларды ишеним тизмеси аркылуу жокко чыгарыңыз
station-summary-spoiled = бузулган карта { $serial } ({ $number }): { $reason }; картаны чыгарып, номерди жокко чыгарыңыз
station-summary-failed = ката { $name }: { $reason }
station-summary-bad-row = { $line }-сап: { $reason }
station-faces = картанын бетиндеги QR-коддор { $dir } ичинде

## Сканердин экраны.

scanner-present-card = Картаны сканерге тийгизиңиз
scanner-enter-can = CAN териңиз
scanner-name = Аты-жөнү
scanner-valid-until = Мөөнөтү
scanner-extended = болуу ишеним тизмеси менен узартылган
scanner-successor = Жаңы документ
scanner-number = Номери
scanner-ready = ДАЯР
scanner-list = ишеним тизмеси { $sequence }
scanner-no-trust-list = ИШЕНИМ ТИЗМЕСИ ЖОК: эч нерсе жарактуу эмес
scanner-face-read = КАРТАНЫН БЕТИ ОКУЛДУ
scanner-now-hold-card = эми картанын өзүн антеннага тийгизиңиз
scanner-show-face = КАРТАНЫН БЕТИН КӨРСӨТҮҢҮЗ
scanner-show-face-first = адегенде картанын бетин камерага көрсөтүңүз: анын коду чипти ачат
scanner-wrong-face = БАШКА КАРТАНЫН БЕТИ
scanner-wrong-face-detail = код башка картаныкы: ушул картанын бетин көрсөтүңүз
scanner-no-resident-chip = бул картада резидент картасынын тиркемеси жок
scanner-hold-still = картаны кыймылдатпай кармап, кайра тийгизиңиз
scanner-code-again = КАЙРА АРАКЕТ КЫЛЫҢЫЗ
scanner-show-code-again = кодду камерага кайра көрсөтүңүз
scanner-printed-copy = басма көчүрмө: картанын өзүн сканерге тийгизиңиз

## Иш берүүчүнүн көзөмөлү (reader-host watch).

watch-revoked = { $name } ({ $number }): ЖОККО ЧЫГАРЫЛГАН: бул документ менен жумушка алууга болбойт
watch-suspended = { $name } ({ $number }): { $date } тартып күчү токтотулган
watch-superseded = { $name } ({ $number }): { $date } тартып { $successor } документи менен алмаштырылган: жаңы документти сураңыз
watch-ends = { $name } ({ $number }): болуу мөөнөтү { $date } бүтөт, { $days } күндөн кийин
watch-ended = { $name } ({ $number }): болуу мөөнөтү { $date } бүткөн
watch-summary = көзөмөлдөгү { $total } документтин { $count } көңүл бурууну талап кылат (ишеним тизмеси { $sequence })
watch-added = { $name } ({ $number }) { $file } ичинде көзөмөлдө
watch-not-authentic = { $file } чыныгы болуу жазуусу эмес ({ $reason }): кошулган жок
