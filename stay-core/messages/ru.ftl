# Сообщения на русском языке: те же сообщения и те же подстановки, что в en.ftl.

## Итоги проверки.

outcome-valid = ДЕЙСТВИТЕЛЕН
outcome-invalid = НЕДЕЙСТВИТЕЛЕН
outcome-indeterminate = НЕ ОПРЕДЕЛЕНО
outcome-read-the-chip = ПРОЧТИТЕ ЧИП
outcome-card-removed = КАРТА ИЗВЛЕЧЕНА
outcome-not-a-resident-card = НЕ КАРТА РЕЗИДЕНТА
outcome-card-unreadable = КАРТА НЕ ЧИТАЕТСЯ
outcome-waiting = ПРИЛОЖИТЕ КАРТУ
outcome-can-needed = ВВЕДИТЕ CAN
outcome-not-live = НЕТ СВЯЗИ
outcome-no-token = НЕТ ТОКЕНА ПУНКТА

## Причины.

reason-valid = все проверки пройдены
reason-malformed = данные не являются записью о пребывании (повреждены или подделаны)
reason-bad-signature = подпись органа выдачи неверна: данные изменены или подделаны
reason-signer-revoked = ключ, которым подписан документ, отозван
reason-signer-not-authorized = этот ключ не вправе подписывать документы такого типа
reason-signer-outside-period = документ выдан вне срока действия ключа подписи
reason-validity-exceeds-policy = срок действия длиннее, чем допускает этот тип документа
reason-valid-from-too-late = срок действия начинается позже после выдачи, чем допускает этот тип документа
reason-document-revoked = этот документ отозван
reason-chip-proof-missing = чип не просили доказать подлинность
reason-chip-proof-failed = это не тот чип, на котором выдан документ (копия или клон)
reason-not-yet-valid = документ ещё не действует
reason-expired = срок действия документа истёк
reason-chip-key-missing = карта резидента без ключа чипа: эту карту выдал не этот орган
reason-portrait-mismatch = фотография на чипе не та, что выдана с этим документом
reason-suspended = действие документа приостановлено: недействителен, пока орган не снимет приостановление
reason-superseded = этот документ заменён новым: попросите новый документ
reason-extension-exceeds-policy = список доверия продлевает пребывание дольше, чем допускает этот тип документа
reason-portrait-not-read = фотографию не удалось прочитать с чипа: приложите карту снова
reason-unknown-signer = ключа подписи нет в списке доверия этого терминала; обновите список
reason-clock-before-trust-list = часы этого терминала неверны (раньше выпуска его списка доверия); исправьте часы
reason-trust-list-stale = список доверия этого терминала устарел; отзывы могут отсутствовать
reason-chip-not-read = печатная копия карты с чипом: данные подлинные, но карту доказывает только чип
reason-trust-list-unavailable = у этого терминала нет пригодного списка доверия (повреждён); установите новейший список

## Решения.

decision-may-stay = может находиться в стране сегодня
decision-may-not-stay = НЕ может находиться в стране по этому документу
decision-may-employ = может быть принят вами на работу сегодня
decision-may-not-employ = НЕЛЬЗЯ принять на работу: документ недействителен
decision-may-not-employ-digital-nomad = НЕЛЬЗЯ принять на работу: статус цифрового кочевника исключает местный наём
decision-may-not-employ-other-employer = НЕЛЬЗЯ принять вам на работу: в документе указан другой работодатель
decision-may-not-employ-purpose-of-stay = НЕЛЬЗЯ принять на работу: цель пребывания не допускает работы
decision-card-verifies = карта проходит проверку: её можно выдать
decision-card-rejected = карта НЕ проходит проверку: испортите её
decision-refer = решить здесь нельзя: направьте на повторную проверку
decision-read-the-chip = НЕ решено: печатная копия не доказывает карту; приложите карту к считывателю

role-border = граница
role-employer = работодатель
role-station = станция

## Что доказывает предъявленный документ.

presentation-chip = чип: подлинный (ответил на запрос этого терминала)
presentation-printed-copy = ПЕЧАТНАЯ КОПИЯ карты с чипом: не доказывает, что карта здесь; приложите карту к считывателю
presentation-printed = печатный документ: сравните владельца с фотографией на печатной карте и с его паспортом

## Фотография владельца с чипа.

portrait-heading = Фотография с чипа
portrait-pending = фотография читается с чипа…
portrait-matches = фотография: выданная (подписанный хеш совпадает); сравните её с владельцем
portrait-saved = фотография: выданная (подписанный хеш совпадает), сохранена в { $file }
portrait-none-issued = фотография: с этим документом не выдавалась
portrait-mismatch = фотография: НЕ та, что выдана с этим документом; не показана
portrait-not-read = фотография не прочитана: карту убрали раньше; приложите её снова, чтобы увидеть лицо
portrait-printed = в печатном коде нет фотографии: сравните владельца с фотографией на печатной карте

## Что список доверия изменил после выдачи (изменение статуса в вердикте).

change-extended = пребывание продлено до { $date } списком доверия { $sequence } (в самом документе указана более ранняя дата)
change-suspended = действие приостановлено с { $date } списком доверия { $sequence }
change-superseded = заменён { $date } документом { $successor } (список доверия { $sequence })

## Поля записи.

field-document-type = тип документа
field-document-number = номер документа
field-pin = персональный номер (ПИН)
field-itn = ИНН
field-surname = фамилия
field-given-names = имя
field-nationality = гражданство
field-date-of-birth = дата рождения
field-sex = пол
field-purpose = цель пребывания
field-employer-tin = ИНН работодателя
field-valid-from = действителен с
field-valid-until = действителен до
field-effective-valid-until = действителен до (продлён)
field-issue-date = дата выдачи
field-issuing-authority = орган выдачи
field-has-portrait-digest = фотография подписана
field-source = источник
field-checked-at = проверено

document-type-resident-card = карта резидента
document-type-unified-window = документ «единого окна»
document-type-digital-nomad = статус цифрового кочевника
purpose-work = работа
purpose-study = учёба
purpose-family = семья
purpose-business = бизнес
purpose-remote-work = удалённая работа
purpose-other = другое
sex-F = женский
sex-M = мужской
sex-X = не указан
yes = да
no = нет

time-bishkek = { $time } (время Бишкека, UTC+6)

## Уведомления.

notice-can-needed = введите шесть цифр CAN с лицевой стороны карты или покажите её камере
notice-several-cards-wait = CAN ждут несколько карт: оставьте только ту карту, чей CAN введён
notice-can-ready = CAN получен: карта в считывателе открывается с ним
notice-can-already-waits = для карты уже ждёт CAN: используется введённый первым
notice-wrong-can = CAN не открывает эту карту: проверьте шесть цифр на её лицевой стороне и введите снова
notice-card-removed-before = карту убрали до чтения; приложите её снова
notice-card-removed = карту убрали во время проверки; приложите её снова
notice-not-a-resident-card = не карта резидента (на ней нет приложения карты резидента)
notice-card-mute = карта не отвечает
notice-card-unreadable = карту нельзя прочитать: { $detail }
notice-portrait = фотография на чипе та, что выдана: сравните её с владельцем
notice-portrait-not-read = карту убрали до чтения фотографии: приложите её снова, чтобы увидеть лицо
notice-portrait-none-issued = с этим документом фотография не выдавалась
notice-qr-unreadable = QR-код не читается: { $detail }
notice-source-unavailable = { $detail }; повторяем
notice-source-back = кадры снова поступают
notice-reader-added = считыватель готов
notice-reader-removed = считыватель отключён
notice-pcscd-unavailable = pcscd недоступен: { $detail }; повторяем
notice-pcscd-lost = pcscd пропал ({ $detail }); переподключаемся
notice-pcscd-back = pcscd снова работает; следим за считывателями
notice-trust-list = обновление списка доверия: { $result } ({ $detail })
notice-audit-failing = журнал аудита нельзя записать ({ $detail }); проверки продолжаются, их строки ждут в памяти (сейчас { $waiting })
notice-audit-back = журнал аудита снова пишется, вместе с ждавшими строками

## Командная строка.

cli-can-needed = чип открывается только по PACE: укажите шесть цифр CAN с лицевой стороны карты (--can 123456)
cli-wrong-can = CAN не открывает эту карту ({ $detail }): проверьте шесть цифр на её лицевой стороне
cli-cannot-read = не удаётся прочитать { $file }: { $detail }
cli-cannot-create = не удаётся создать { $file }: { $detail }
cli-cannot-listen = не удаётся принимать соединения на { $address }: { $detail }
cli-trust-list-refused = список доверия { $file } отклонён: { $detail }
cli-give-a-source = укажите --record, --qr или --card
cli-wait-seconds = --wait: число секунд
cli-can-digits = --can: шесть цифр
cli-no-card = ни в одном считывателе нет карты в течение { $seconds } с
cli-no-card-in = в { $reader } нет карты в течение { $seconds } с
cli-employer-tin-digits = --employer-tin: ровно 14 цифр
cli-employer-needs-tin = для --role employer нужен --employer-tin
cli-tin-without-employer = --employer-tin только для --role employer
cli-role = --role: border или employer
cli-no-such-image = нет такого изображения { $file }
cli-portrait-unsigned = подписанной фотографии с карты нет: { $detail }
desk-listening = киоск по адресу { $url } (роль { $role }; адрес с токеном стойки даёт `reader-host kiosk-url`)
scan-qr-codes = { $file }: кодов: { $count }
audit-chip = чип

## Инструменты органа выдачи.

issuer-init-created = орган выдачи создан в { $dir }
issuer-init-root = корневой ключ { $key }: root.key.pem, root.pub.pem
issuer-init-signer = { $type }: ключ подписи { $key }, { $file }
issuer-init-personalization = ключ персонализации { $key }: personalization.key.pem
issuer-init-list = список доверия: trust.list (источник: list.toml)
issuer-init-service = служба подписи: signing.tokens (токен station-1: station-1.token)
issuer-init-holders = образцы владельцев: holders/*.toml, их фотографии holders/*.jpg
issuer-record-signed = { $file }: { $bytes } байт, { $type } { $number }
issuer-list-signed = { $file }: { $bytes } байт, номер списка { $sequence }
issuer-list-does-not-load = только что подписанный список не загружается обратно ({ $reason }); ничего не записано
issuer-serve-key = ключ { $key } подписывает: { $types }; выдача с { $from } по { $until }
issuer-serve-list = номер списка доверия { $sequence }
issuer-token-created = { $file }: токен для { $label }, добавлен в { $tokens }
issuer-qr-written = { $file }: QR-код из { $bytes } байт
issuer-document-written = { $file }: электронный документ, { $bytes } байт
issuer-refused-to-sign = отказ в подписи { $file }: { $reason }
issuer-not-a-record = { $file } не является записью о пребывании: { $detail }
issuer-label-one-word = --label: одно слово, например station-2
document-qr-note = этот код содержит подписанную запись: любой терминал, сканер или телефон проверит её по текущему списку доверия

## История пребывания после выдачи (issuer extend, suspend, lift, supersede).

status-bad-value = { $field }: { $value } — не { $expected }
status-expected-date = дата ГГГГ-ММ-ДД
status-expected-time = время RFC 3339
status-expected-number = номер документа (1–16 знаков A-Z 0-9)
status-expected-type = resident-card, unified-window или digital-nomad
status-bad-date = { $option }: { $value } — не дата ГГГГ-ММ-ДД
status-missing = для { $action } нужно { $field }
status-in-the-past = { $date } раньше дня записи шага ({ $today }): изменение не действует задним числом
status-not-later = новый срок { $until } не позже нынешнего { $current }
status-not-extendable = документ «{ $type }» не продлевается (политика не допускает продлений)
status-exceeds-policy = документ «{ $type }» со всеми продлениями действует не более { $days } дней от начала срока: не позже { $latest }
status-already-suspended = { $number } уже приостановлен (с { $since })
status-not-suspended = { $number } не приостановлен: снимать нечего
status-superseded = { $number } заменён документом { $successor }: больше ничто его не меняет
status-revoked = { $number } отозван: у отозванного документа нет пребывания, которое можно изменить
status-supersede-types = заменяется только документ единого окна и только картой резидента
status-supersedes-itself = документ не может заменить сам себя
status-other-holder = документы принадлежат разным владельцам (ПИН различается)
status-refused = отказано, в { $file } ничего не записано (шаг { $step }, { $number }): { $reason }
status-now-extended = { $number }: пребывание продлено до { $date }
status-now-suspended = { $number }: приостановлен с { $date }
status-now-superseded = { $number }: заменён документом { $successor } с { $date }
status-now-as-issued = { $number }: изменений нет, действует как выдан
status-recorded = записано в { $file } как шаг { $step }; подпишите список (issuer sign-list), чтобы опубликовать
show-record = Запись о пребывании, { $bytes } байт (подпись не проверена: используйте reader-host verify)
show-list = Список доверия, { $bytes } байт
show-signature-not-checked = не проверена (укажите --root-key)
show-signature-valid = верна
show-signature-invalid = НЕВЕРНА: { $detail }
show-signers = ключи подписи ({ $count }):
show-revoked-signers = отозванные ключи подписи ({ $count }):
show-revoked-documents = отозванные документы ({ $count }):
show-status-changes = изменения статуса ({ $count }):
field-sequence = номер списка
field-issued-at = выпущен
field-next-update = следующее обновление
field-signature = подпись
field-signer-key-id = ключ подписи
field-chip-public-key = открытый ключ чипа
field-portrait-digest = хеш фотографии (SHA-256)

## Почему орган выдачи отказывается подписать (каждое сообщение говорит, что исправить).

refusal-unreadable = файл владельца не разобран: { $detail }
refusal-pin = pin: должно быть ровно { $expected } цифр, получено «{ $got }»
refusal-validity-inverted = valid_until ({ $until }) раньше valid_from ({ $from })
refusal-issued-after-expiry = issue_date ({ $issue }) позже valid_until ({ $until })
refusal-validity-too-long = срок { $days } дн. больше допустимого: { $type } — не более { $max } дн.
refusal-valid-from-too-late = valid_from на { $days } дн. позже даты выдачи; { $type } — не более { $max } дн.
refusal-missing-itn = карта резидента должна содержать ИНН владельца (itn)
refusal-missing-chip-key = карта резидента — чиповая карта: нужен chip_public_key (станция получает его от самой карты)
refusal-nomad-with-employer = у цифрового кочевника нет местного работодателя: уберите employer_tin
refusal-nomad-purpose = цель пребывания цифрового кочевника — удалённая работа, а не { $purpose }
refusal-signer-not-listed = ключа подписи { $key } нет в списке доверия
refusal-signer-revoked = ключ подписи { $key } отозван
refusal-signer-not-authorized = ключ подписи { $key } не вправе подписывать этот вид документа: { $type }
refusal-signer-outside-period = дата выдачи { $issue } вне периода ключа подписи { $key }: с { $from } по { $until }
refusal-no-signer-key = ключ подписи не указан
refusal-no-authorized-signer = ни один ключ подписи не вправе подписать этот вид документа, выданный { $issue }: { $type }
refusal-format = формат записи не допускает этого: { $detail }
invalid-not-a-date = { $field }: «{ $value }» — не дата ГГГГ-ММ-ДД
invalid-not-hex = { $field }: не шестнадцатеричное значение
invalid-length = { $field }: { $got } байт, ожидалось { $expected }
invalid-not-one-of = { $field }: «{ $value }» — не одно из: { $allowed }
invalid-digits = { $field }: должно быть ровно { $expected } цифр, получено «{ $got }»
invalid-not-a-point = { $field }: не является несжатой точкой P-256
invalid-not-in-format = { $field }: не допускается форматом записи (см. docs/formats.md)
portrait-refusal-too-long = фотография { $file }: { $bytes } байт, чип вмещает не более { $max }
portrait-refusal-not-jpeg = фотография { $file }: не изображение JPEG
portrait-refusal-dimensions = фотография { $file }: { $size } пикселей, допустимо от { $min } до { $max }
portrait-refusal-not-upright = фотография { $file }: { $size } пикселей — не вертикальная (высота должна быть больше ширины)
list-sequence-not-increasing = номер { $new } не больше номера предыдущего списка { $previous }
list-previous-refused = предыдущий список отклонён: { $detail }

## Страница киоска.

kiosk-title = Проверка карты резидента
kiosk-language = Язык
kiosk-can-label = CAN (шесть цифр на лицевой стороне карты, или покажите её камере):
kiosk-can-button = Открыть чип
kiosk-open-url = Откройте адрес, который печатает `reader-host kiosk-url`.
kiosk-connecting = подключение…
kiosk-live = на связи
kiosk-reconnecting = переподключение…
kiosk-retrying = нет связи: пробуем снова
kiosk-rehearsal = РЕПЕТИЦИЯ: проверки на { $time } (fixed_time), не на сегодня
kiosk-qr-matches = QR совпадает с чипом
kiosk-qr-mismatch = QR НЕ СОВПАДАЕТ С ЧИПОМ
kiosk-chip-genuine = чип подлинный
kiosk-fields = Данные владельца

## Станция персонализации.

station-row-skipped = строка { $line }: пропущена: { $reason }
station-signing-through = подпись через { $url }: ключи { $keys }, список доверия № { $sequence }
station-applications-read = прочитано заявлений: { $read } (новых { $new }), ошибочных строк: { $bad }; к выдаче: { $pending }
station-insert-card = вставьте чистую карту для { $name }
station-issued = выдан { $number } для { $name } (карта { $serial })
station-spoiled = ИСПОРЧЕНА карта { $serial } ({ $number }, { $name }): { $reason }
station-card-not-used = карта не использована: { $reason }
station-card-unusable = карту в { $reader } нельзя использовать ({ $detail }): выньте её
station-failed = ОШИБКА { $name }: { $reason }
station-recovered = после прошлой остановки: карта { $serial } ({ $number }) { $outcome }
station-stopped = станция остановлена: { $reason }
station-summary = выдано { $issued }, испорчено { $spoiled }, ошибок { $failed }, ошибочных строк { $bad }, ещё ждут { $pending }
station-finished-at = завершено { $time }
station-retired-file = все выведенные номера в { $file }: отзовите их через список доверия
station-summary-spoiled = испорчена карта { $serial } ({ $number }): { $reason }; выведите карту, отзовите номер
station-summary-failed = ошибка { $name }: { $reason }
station-summary-bad-row = строка { $line }: { $reason }
station-faces = QR-коды лицевых сторон в { $dir }

## Экран сканера.

scanner-present-card = Приложите карту к сканеру
scanner-enter-can = Введите CAN
scanner-name = Имя
scanner-valid-until = Действителен до
scanner-extended = пребывание продлено списком доверия
scanner-successor = Новый документ
scanner-number = Номер
scanner-ready = ГОТОВ
scanner-list = список доверия { $sequence }
scanner-no-trust-list = НЕТ СПИСКА ДОВЕРИЯ: ничто не действительно
scanner-face-read = ЛИЦЕВАЯ СТОРОНА ПРОЧИТАНА
scanner-now-hold-card = теперь приложите саму карту к антенне
scanner-show-face = ПОКАЖИТЕ ЛИЦЕВУЮ СТОРОНУ
scanner-show-face-first = сначала покажите лицевую сторону карты камере: её код открывает чип
scanner-wrong-face = ЧУЖАЯ ЛИЦЕВАЯ СТОРОНА
scanner-wrong-face-detail = код от другой карты: покажите лицевую сторону этой карты
scanner-no-resident-chip = на этой карте нет приложения карты резидента
scanner-hold-still = держите карту неподвижно и приложите её снова
scanner-code-again = ЕЩЁ РАЗ
scanner-show-code-again = покажите код камере ещё раз
scanner-printed-copy = печатная копия: приложите к сканеру саму карту

## Наблюдение работодателя (reader-host watch).

watch-revoked = { $name } ({ $number }): ОТОЗВАН: по этому документу нанимать нельзя
watch-suspended = { $name } ({ $number }): действие приостановлено с { $date }
watch-superseded = { $name } ({ $number }): заменён документом { $successor } с { $date }: попросите новый документ
watch-ends = { $name } ({ $number }): пребывание заканчивается { $date }, через { $days } дн.
watch-ended = { $name } ({ $number }): пребывание закончилось { $date }
watch-summary = требуют внимания { $count } из { $total } наблюдаемых документов (список доверия { $sequence })
watch-added = { $name } ({ $number }) под наблюдением в { $file }
watch-not-authentic = { $file } — не подлинная запись о пребывании ({ $reason }): не добавлено
