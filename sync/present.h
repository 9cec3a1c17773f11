/* sync/present.h — how Hearth shows what it computed, on the device and in
 * the console: the reasons for a tier as short sentences with the numbers that
 * fired them, money with thousands separators. */
#ifndef HH_SYNC_PRESENT_H
#define HH_SYNC_PRESENT_H

#include <stdint.h>
#include <stdio.h>

#include "model/rulebook.h"
#include "sync/records.h"

/* "3,450". */
void hh_present_yuan(int64_t yuan, char *out, size_t cap);

/* The reasons of v as sentences in the reader's language, joined by sep:
 * "人均纯收入 3,450 元，低于 3,600 元" / "per-capita income 3,450 yuan, below
 * 3,600". The numbers are rules' (the rulebook in force). */
void hh_present_reasons(const hh_tier_view *v, const hh_rulebook *rules, const char *sep,
                     char *out, size_t cap);

#endif
