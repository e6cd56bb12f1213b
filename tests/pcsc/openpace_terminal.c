/*
 * An inspection terminal built on OpenPACE (Debian libeac-dev) and pcsc-lite, not on our
 * code: it runs PACE with the CAN, checks the chip authentication data of PACE-CAM with
 * OpenSSL, and reads the FCI and the record under secure messaging.
 *
 * OpenPACE 1.1 names Generic and Integrated Mapping only. PACE-CAM is Generic Mapping
 * whose authentication tokens carry the CAM OID, and whose last answer adds 8A: the
 * harness registers the OID with OpenSSL, runs OpenPACE's Generic Mapping under it, and
 * checks 8A itself (ICAO 9303-11 section 4.4.3.5).
 *
 *   openpace_terminal READER CAN CHIP_KEY_HEX [ROUNDS]
 *
 * Prints, one per line: "card-access parsed|refused", "pace ok",
 * "chip-authentication ok|mismatch", "fci HEX", "record HEX" and, with ROUNDS, "median-us
 * N p90-us M" over that many border checks (PACE, SELECT, READ BINARY). A refused step prints
 * "refused STEP SW" and exits 2; a broken answer "broken STEP" and exits 3.
 */

#include <eac/eac.h>
#include <eac/pace.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/obj_mac.h>
#include <PCSC/winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_APDU 70000

static SCARDHANDLE card;
static DWORD protocol;

/* A BUF_MEM holding a copy of `len` bytes. */
static BUF_MEM *buffer(const void *p, size_t len)
{
    BUF_MEM *b = BUF_MEM_new();
    if (!b || !BUF_MEM_grow(b, len)) {
        printf("broken memory\n");
        exit(3);
    }
    memcpy(b->data, p, len);
    return b;
}

static void die(int code, const char *what, const char *step, unsigned sw)
{
    if (sw)
        printf("%s %s %04X\n", what, step, sw);
    else
        printf("%s %s\n", what, step);
    fflush(stdout);
    exit(code);
}

static size_t transmit(const unsigned char *apdu, size_t len, unsigned char *answer)
{
    DWORD answer_len = MAX_APDU;
    const SCARD_IO_REQUEST *pci = protocol == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
    LONG rv = SCardTransmit(card, pci, apdu, len, NULL, answer, &answer_len);
    if (rv != SCARD_S_SUCCESS || answer_len < 2)
        die(3, "broken", "transmit", 0);
    return answer_len;
}

static unsigned status_word(const unsigned char *answer, size_t len)
{
    return (answer[len - 2] << 8) | answer[len - 1];
}

/* Expects 9000; returns the data's length. */
static size_t command(const char *step, const unsigned char *apdu, size_t len, unsigned char *answer)
{
    size_t n = transmit(apdu, len, answer);
    unsigned sw = status_word(answer, n);
    if (sw != 0x9000)
        die(2, "refused", step, sw);
    return n - 2;
}

/* A BER-TLV object inside [p, end): its tag (one or two bytes), value and length. */
static const unsigned char *find(unsigned tag, const unsigned char *p, const unsigned char *end, size_t *len)
{
    while (p < end) {
        unsigned t = *p++;
        if ((t & 0x1F) == 0x1F) {
            if (p >= end)
                return NULL;
            t = (t << 8) | *p++;
        }
        if (p >= end)
            return NULL;
        size_t l = *p++;
        if (l == 0x81) {
            if (p >= end)
                return NULL;
            l = *p++;
        } else if (l == 0x82) {
            if (p + 1 >= end)
                return NULL;
            l = ((size_t)p[0] << 8) | p[1];
            p += 2;
        } else if (l > 0x80) {
            return NULL;
        }
        if (l > (size_t)(end - p))
            return NULL;
        if (t == tag) {
            *len = l;
            return p;
        }
        p += l;
    }
    return NULL;
}

/* One GENERAL AUTHENTICATE step: 7C { tag point } in, the answer's `want` object out. */
static BUF_MEM *general_authenticate(const char *step, int chained, unsigned char tag, const BUF_MEM *out,
                                     unsigned char want, unsigned char *rest, size_t *rest_len)
{
    unsigned char apdu[300], answer[300];
    size_t n = 0, inner = out ? 2 + out->length : 0;
    apdu[n++] = chained ? 0x10 : 0x00;
    apdu[n++] = 0x86;
    apdu[n++] = 0x00;
    apdu[n++] = 0x00;
    apdu[n++] = (unsigned char)(2 + inner);
    apdu[n++] = 0x7C;
    apdu[n++] = (unsigned char)inner;
    if (out) {
        apdu[n++] = tag;
        apdu[n++] = (unsigned char)out->length;
        memcpy(apdu + n, out->data, out->length);
        n += out->length;
    }
    apdu[n++] = 0x00;
    size_t len = command(step, apdu, n, answer);
    size_t outer_len, l;
    const unsigned char *outer = find(0x7C, answer, answer + len, &outer_len);
    if (!outer)
        die(3, "broken", step, 0);
    const unsigned char *v = find(want, outer, outer + outer_len, &l);
    if (!v)
        die(3, "broken", step, 0);
    if (rest) {
        size_t extra;
        const unsigned char *e = find(0x8A, outer, outer + outer_len, &extra);
        *rest_len = e ? extra : 0;
        if (e)
            memcpy(rest, e, extra);
    }
    return buffer(v, l);
}

/* CA_IC . PK_IC == PK_Map,IC, with CA_IC = D(KSenc, 8A), IV = E(KSenc, FF..FF). */
static int chip_authentication(const EAC_CTX *ctx, const unsigned char *data, size_t len,
                               const BUF_MEM *card_mapping_key, const unsigned char *chip_key)
{
    const BUF_MEM *k_enc = ctx->pace_ctx->ka_ctx->k_enc;
    unsigned char ones[16], iv[16], plain[64];
    int out_len = 0, tail = 0, ok = 0;
    if (len != 48)
        return 0;
    memset(ones, 0xFF, sizeof ones);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, (unsigned char *)k_enc->data, NULL);
    EVP_CIPHER_CTX_set_padding(c, 0);
    EVP_EncryptUpdate(c, iv, &out_len, ones, 16);
    EVP_DecryptInit_ex(c, EVP_aes_128_cbc(), NULL, (unsigned char *)k_enc->data, iv);
    EVP_CIPHER_CTX_set_padding(c, 0);
    EVP_DecryptUpdate(c, plain, &out_len, data, (int)len);
    EVP_DecryptFinal_ex(c, plain + out_len, &tail);
    EVP_CIPHER_CTX_free(c);
    /* 32 bytes of CA_IC, then ISO/IEC 9797-1 padding method 2. */
    if (plain[32] != 0x80)
        return 0;
    for (int i = 33; i < 48; i++)
        if (plain[i])
            return 0;
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BN_CTX *bn = BN_CTX_new();
    EC_POINT *pk_ic = EC_POINT_new(group), *pk_map = EC_POINT_new(group), *product = EC_POINT_new(group);
    BIGNUM *ca = BN_bin2bn(plain, 32, NULL);
    if (EC_POINT_oct2point(group, pk_ic, chip_key, 65, bn) &&
        EC_POINT_oct2point(group, pk_map, (unsigned char *)card_mapping_key->data, card_mapping_key->length,
                           bn) &&
        EC_POINT_mul(group, product, NULL, pk_ic, ca, bn))
        ok = EC_POINT_cmp(group, product, pk_map, bn) == 0;
    BN_free(ca);
    EC_POINT_free(product);
    EC_POINT_free(pk_map);
    EC_POINT_free(pk_ic);
    BN_CTX_free(bn);
    EC_GROUP_free(group);
    return ok;
}

static BUF_MEM *padded(const EAC_CTX *ctx, const unsigned char *p, size_t len)
{
    BUF_MEM *plain = buffer(p, len);
    BUF_MEM *out = EAC_add_iso_pad(ctx, plain);
    BUF_MEM_free(plain);
    return out;
}

/*
 * A command under secure messaging (ICAO 9303-11 section 9.8): 87 (encrypted data), 97
 * (Le), 8E (MAC over SSC || pad(header) || DOs, padded); extended lengths. Returns the
 * answer's decrypted data.
 */
static size_t protected(EAC_CTX *ctx, const char *step, const unsigned char header[4], const unsigned char *data,
                        size_t data_len, unsigned char *out)
{
    static unsigned char apdu[MAX_APDU], answer[MAX_APDU];
    unsigned char dos[512], mac_input[600];
    size_t d = 0;
    EAC_increment_ssc(ctx);
    if (data_len) {
        BUF_MEM *p = padded(ctx, data, data_len);
        BUF_MEM *enc = EAC_encrypt(ctx, p);
        if (!enc)
            die(3, "broken", step, 0);
        dos[d++] = 0x87;
        dos[d++] = (unsigned char)(enc->length + 1);
        dos[d++] = 0x01;
        memcpy(dos + d, enc->data, enc->length);
        d += enc->length;
        BUF_MEM_free(p);
        BUF_MEM_free(enc);
    }
    /* Le: 00 00 (extended, as many as there are). */
    dos[d++] = 0x97;
    dos[d++] = 0x02;
    dos[d++] = 0x00;
    dos[d++] = 0x00;
    unsigned char cla = header[0] | 0x0C;
    size_t m = 0;
    mac_input[m++] = cla;
    memcpy(mac_input + m, header + 1, 3);
    m += 3;
    mac_input[m++] = 0x80;
    memset(mac_input + m, 0, 11);
    m += 11;
    memcpy(mac_input + m, dos, d);
    m += d;
    BUF_MEM *to_mac = padded(ctx, mac_input, m);
    BUF_MEM *mac = EAC_authenticate(ctx, to_mac);
    BUF_MEM_free(to_mac);
    if (!mac)
        die(3, "broken", step, 0);
    size_t n = 0;
    apdu[n++] = cla;
    memcpy(apdu + n, header + 1, 3);
    n += 3;
    size_t lc = d + 2 + mac->length;
    apdu[n++] = 0x00;
    apdu[n++] = (unsigned char)(lc >> 8);
    apdu[n++] = (unsigned char)lc;
    memcpy(apdu + n, dos, d);
    n += d;
    apdu[n++] = 0x8E;
    apdu[n++] = (unsigned char)mac->length;
    memcpy(apdu + n, mac->data, mac->length);
    n += mac->length;
    BUF_MEM_free(mac);
    apdu[n++] = 0x00;
    apdu[n++] = 0x00;
    size_t len = transmit(apdu, n, answer);
    unsigned sw = status_word(answer, len);
    if (sw != 0x9000)
        die(2, "refused", step, sw);
    len -= 2;

    /* The answer: 87? 99 8E, the MAC over SSC || pad(87 || 99). */
    EAC_increment_ssc(ctx);
    size_t l87 = 0, l99, l8e;
    const unsigned char *v87 = find(0x87, answer, answer + len, &l87);
    const unsigned char *v99 = find(0x99, answer, answer + len, &l99);
    const unsigned char *v8e = find(0x8E, answer, answer + len, &l8e);
    if (!v99 || !v8e || l99 != 2 || v8e < v99)
        die(3, "broken", step, 0);
    const unsigned char *start = v87 ? v87 - (l87 > 255 ? 4 : l87 > 127 ? 3 : 2) : v99 - 2;
    BUF_MEM *covered = padded(ctx, start, (size_t)(v99 + 2 - start));
    BUF_MEM *their_mac = buffer(v8e, l8e);
    int authentic = EAC_verify_authentication(ctx, covered, their_mac);
    BUF_MEM_free(covered);
    BUF_MEM_free(their_mac);
    if (authentic != 1)
        die(3, "broken", step, 0);
    if (((v99[0] << 8) | v99[1]) != 0x9000)
        die(2, "refused", step, (v99[0] << 8) | v99[1]);
    if (!v87)
        return 0;
    if (l87 < 17 || v87[0] != 0x01)
        die(3, "broken", step, 0);
    BUF_MEM *enc = buffer(v87 + 1, l87 - 1);
    BUF_MEM *dec = EAC_decrypt(ctx, enc);
    BUF_MEM_free(enc);
    if (!dec)
        die(3, "broken", step, 0);
    BUF_MEM *plain = EAC_remove_iso_pad(dec);
    BUF_MEM_free(dec);
    if (!plain)
        die(3, "broken", step, 0);
    memcpy(out, plain->data, plain->length);
    size_t plain_len = plain->length;
    BUF_MEM_free(plain);
    return plain_len;
}

static void print_hex(const char *label, const unsigned char *p, size_t len)
{
    printf("%s ", label);
    for (size_t i = 0; i < len; i++)
        printf("%02X", p[i]);
    printf("\n");
}

static int parse_hex(const char *hex, unsigned char *out, size_t len)
{
    if (strlen(hex) != 2 * len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (sscanf(hex + 2 * i, "%2hhx", &out[i]) != 1)
            return 0;
    return 1;
}

/* One border check; prints what it read when `report`. */
static void border_check(const char *can, const unsigned char *chip_key, int cam_nid, int report)
{
    static unsigned char answer[MAX_APDU], fci[MAX_APDU], record[MAX_APDU];
    static const unsigned char select_aid[] = {0x00, 0xA4, 0x04, 0x0C, 0x08, 0xF0, 0x4B, 0x47,
                                               0x53, 0x54, 0x41, 0x59, 0x01};
    /* READ BINARY of EF.CardAccess by its short identifier 1C. */
    static const unsigned char read_card_access[] = {0x00, 0xB0, 0x9C, 0x00, 0x00};
    command("select", select_aid, sizeof select_aid, answer);
    size_t len = command("card-access", read_card_access, sizeof read_card_access, answer);
    if (report) {
        EAC_CTX *probe = EAC_CTX_new();
        printf("card-access %s\n", EAC_CTX_init_ef_cardaccess(answer, len, probe) ? "parsed" : "refused");
        EAC_CTX_clear_free(probe);
    }

    EAC_CTX *ctx = EAC_CTX_new();
    if (!ctx || !EAC_CTX_init_pace(ctx, NID_id_PACE_ECDH_GM_AES_CBC_CMAC_128, 12))
        die(3, "broken", "openpace", 0);
    ctx->pace_ctx->protocol = cam_nid;
    PACE_SEC *secret = PACE_SEC_new(can, strlen(can), PACE_CAN);

    unsigned char mse[] = {0x00, 0x22, 0xC1, 0xA4, 0x12, 0x80, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02,
                           0x02, 0x04, 0x06, 0x02, 0x83, 0x01, 0x02, 0x84, 0x01, 0x0C};
    command("mse-set-at", mse, sizeof mse, answer);
    BUF_MEM *enc_nonce = general_authenticate("nonce", 1, 0, NULL, 0x80, NULL, NULL);
    if (!PACE_STEP2_dec_nonce(ctx, secret, enc_nonce))
        die(3, "broken", "nonce", 0);
    BUF_MEM *my_mapping = PACE_STEP3A_generate_mapping_data(ctx);
    BUF_MEM *card_mapping = general_authenticate("mapping", 1, 0x81, my_mapping, 0x82, NULL, NULL);
    if (!PACE_STEP3A_map_generator(ctx, card_mapping))
        die(3, "broken", "mapping", 0);
    BUF_MEM *my_key = PACE_STEP3B_generate_ephemeral_key(ctx);
    BUF_MEM *card_key = general_authenticate("key-agreement", 1, 0x83, my_key, 0x84, NULL, NULL);
    if (!PACE_STEP3B_compute_shared_secret(ctx, card_key) || !PACE_STEP3C_derive_keys(ctx))
        die(3, "broken", "key-agreement", 0);
    BUF_MEM *my_token = PACE_STEP3D_compute_authentication_token(ctx, card_key);
    unsigned char cam[64];
    size_t cam_len = 0;
    BUF_MEM *card_token = general_authenticate("mutual-authentication", 0, 0x85, my_token, 0x86, cam, &cam_len);
    if (PACE_STEP3D_verify_authentication_token(ctx, card_token) != 1)
        die(3, "broken", "card-token", 0);
    int authenticated = chip_authentication(ctx, cam, cam_len, card_mapping, chip_key);
    if (!EAC_CTX_set_encryption_ctx(ctx, EAC_ID_PACE))
        die(3, "broken", "openpace", 0);

    static const unsigned char select_fci[] = {0x00, 0xA4, 0x04, 0x00};
    static const unsigned char aid[] = {0xF0, 0x4B, 0x47, 0x53, 0x54, 0x41, 0x59, 0x01};
    size_t fci_len = protected(ctx, "select-fci", select_fci, aid, sizeof aid, fci);
    /* READ BINARY of the record by its short identifier 01, offset 0. */
    static const unsigned char read_record[] = {0x00, 0xB0, 0x81, 0x00};
    size_t record_len = protected(ctx, "read-record", read_record, NULL, 0, record);
    if (report) {
        printf("pace ok\n");
        printf("chip-authentication %s\n", authenticated ? "ok" : "mismatch");
        print_hex("fci", fci, fci_len);
        print_hex("record", record, record_len);
    }
    BUF_MEM_free(enc_nonce);
    BUF_MEM_free(my_mapping);
    BUF_MEM_free(card_mapping);
    BUF_MEM_free(my_key);
    BUF_MEM_free(card_key);
    BUF_MEM_free(my_token);
    BUF_MEM_free(card_token);
    PACE_SEC_clear_free(secret);
    EAC_CTX_clear_free(ctx);
}

static int by_value(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    unsigned char chip_key[65];
    if (argc < 4 || !parse_hex(argv[3], chip_key, sizeof chip_key)) {
        fprintf(stderr, "usage: %s READER CAN CHIP_KEY_HEX [ROUNDS]\n", argv[0]);
        return 64;
    }
    int rounds = argc > 4 ? atoi(argv[4]) : 0;
    EAC_init();
    int cam_nid = OBJ_create("0.4.0.127.0.7.2.2.4.6.2", "id-PACE-ECDH-CAM-AES-CBC-CMAC-128",
                             "id-PACE-ECDH-CAM-AES-CBC-CMAC-128");
    if (cam_nid == NID_undef)
        die(3, "broken", "openssl", 0);

    SCARDCONTEXT context;
    if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &context) != SCARD_S_SUCCESS ||
        SCardConnect(context, argv[1], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card,
                     &protocol) != SCARD_S_SUCCESS)
        die(3, "broken", "connect", 0);

    border_check(argv[2], chip_key, cam_nid, 1);
    if (rounds > 0) {
        long *us = calloc((size_t)rounds, sizeof *us);
        for (int i = 0; i < rounds; i++) {
            struct timespec a, b;
            clock_gettime(CLOCK_MONOTONIC, &a);
            border_check(argv[2], chip_key, cam_nid, 0);
            clock_gettime(CLOCK_MONOTONIC, &b);
            us[i] = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000;
        }
        qsort(us, (size_t)rounds, sizeof *us, by_value);
        printf("median-us %ld p90-us %ld\n", us[rounds / 2], us[rounds * 9 / 10]);
        free(us);
    }
    SCardDisconnect(card, SCARD_LEAVE_CARD);
    SCardReleaseContext(context);
    EAC_cleanup();
    return 0;
}
