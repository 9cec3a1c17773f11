/* model/validate.h — checks on every value that enters Hearth.
 *
 * Pure functions: no I/O, no allocation. Each returns HH_OK or HH_EINVAL and, when
 * given an hh_diag, names the field and says what is wrong. The record-level
 * validators check every field of a household, member or visit against its bound
 * and the cross-field rules (one ID number per person, birth year matching the ID
 * number, a disability grade only for the disabled).
 *
 * Identity numbers: a GB 11643 number is 17 digits and an ISO 7064 MOD 11-2 check
 * character (0-9 or X); its digits 7..14 are the birth date. People without a
 * household registration get a Hearth virtual ID of the same length:
 *     'V' + 12-digit village code + 4-digit serial + MOD 11-2 check over those 16
 * digits, e.g. "V5118231012010001" + check. It starts with a letter, so it can
 * never collide with a real number. */
#ifndef HH_VALIDATE_H
#define HH_VALIDATE_H

#include "diag.h"
#include "record.h"

/* ISO 7064 MOD 11-2 check character ('0'..'9' or 'X') over n ASCII digits. */
char hh_mod11_2_check(const char *digits, int n);

/* Validate an 18-character ID number, GB 11643 or virtual. *birth_year_out (may
 * be NULL) receives the year encoded in a GB number, or 0 for a virtual ID.
 * A lowercase 'x' check character is refused: call hh_id_number_normalise first. */
hh_err hh_validate_id_number(const char *id, int *birth_year_out, hh_diag *d);

/* The sex a GB 11643 ID number states (its 17th digit: odd male, even
 * female), or 0 for a virtual ID or one that does not validate. */
int hh_id_number_sex(const char *id);

/* Uppercase a trailing 'x' in place (officers type either). */
void hh_id_number_normalise(char *id);

/* Make the virtual ID for `serial` (0..9999) in village `village_code` into out. */
hh_err hh_virtual_id_make(const char *village_code, int serial,
                          char out[HH_ID_NUMBER_LEN + 1]);

/* 12 ASCII digits, not all zero. */
hh_err hh_validate_village_code(const char *code, hh_diag *d);

/* Is `village` (12 digits) one of the comma-separated codes in `villages`? */
int hh_villages_contain(const char *villages, const char *village);

/* "YYYY-MM-DD", a real calendar date with the year in 1900..2100. */
hh_err hh_validate_date(const char *date, hh_diag *d);

/* Days from 1970-01-01 to a valid "YYYY-MM-DD" (negative before it), and
 * back. hh_date_days returns HH_DATE_INVALID for anything hh_validate_date
 * refuses. */
#define HH_DATE_INVALID (-1000000L)
long hh_date_days(const char *date);
void hh_date_from_days(long days, char out[HH_DATE_LEN + 1]);

/* A canonical lowercase UUID, 8-4-4-4-12 hex. */
hh_err hh_validate_uuid(const char *uuid, hh_diag *d);

/* in, made safe to print and to send: every byte that is not part of valid
 * UTF-8, and every control character (C0, DEL, C1: terminal escapes), becomes
 * '?'. At most cap - 1 bytes and a NUL into out, never half a character. */
void hh_text_printable(const char *in, char *out, size_t cap);

/* Valid UTF-8 of at most max_bytes with no control characters (newlines and
 * tabs allowed only when multiline). */
hh_err hh_validate_text(const char *field, const char *text, size_t max_bytes,
                        int multiline, hh_diag *d);

/* Length of the UTF-8 sequence at s (NUL-terminated), or 0 if it is not well
 * formed: overlong, a surrogate, above U+10FFFF, or cut short. */
size_t hh_utf8_sequence(const unsigned char *s);

/* 0 <= yuan <= HH_MONEY_MAX_YUAN. */
hh_err hh_validate_money(const char *field, int64_t yuan, hh_diag *d);

/* Every field of m; current_year bounds the birth year, which, with the sex,
 * must agree with the ID number (an officer corrects it on entry). */
hh_err hh_member_validate(const hh_member *m, int current_year, hh_diag *d);

/* Every field of h and of each member, and that no ID number repeats. */
hh_err hh_household_validate(const hh_household *h, int current_year, hh_diag *d);

/* The same for records received from another program (the collector from a
 * device, a device from the collector): a birth year the ID number
 * contradicts is kept, for a reviewer to compare (数据比对), not refused. */
hh_err hh_member_validate_received(const hh_member *m, int current_year, hh_diag *d);
hh_err hh_household_validate_received(const hh_household *h, int current_year, hh_diag *d);

/* Every field of v. */
hh_err hh_visit_validate(const hh_visit *v, hh_diag *d);

/* When a visit may be dated: not before monitoring records began (建档立卡, 2014)
 * and not after today by the judging clock (the device's on entry, the
 * collector's when it merges) plus a day's slack for time zones and midnight. A
 * date outside would hide the household's real latest visit from its tier. */
#define HH_VISIT_DATE_MIN          "2014-01-01"
#define HH_VISIT_FUTURE_SLACK_DAYS 1

/* The latest date a visit may carry when today is today ("YYYY-MM-DD"). */
hh_err hh_visit_latest_date(const char *today, char out[HH_DATE_LEN + 1]);

/* Is visited_on within [HH_VISIT_DATE_MIN, today + slack]? HH_EINVAL (with d,
 * field "visited_on", naming both dates) when not. */
hh_err hh_visit_check_date(const char *visited_on, const char *today, hh_diag *d);

#endif
