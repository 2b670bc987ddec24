// SPDX-License-Identifier: BSD-2-Clause
/*
 * crc32c.c - CRC32C (Castagnoli, reflected 0x82F63B78), slice-by-8 tables
 * built once; crc32c(0, "123456789", 9) == 0xE3069283.
 */
#include <pthread.h>

#include "core_i.h"

static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78U & -(c & 1));
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^
				crc_tab[0][crc_tab[t - 1][i] & 0xff];
}

uint32_t pmfs_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (len && ((uintptr_t)p & 7)) {
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		v ^= crc;
		crc = crc_tab[7][v & 0xff] ^ crc_tab[6][(v >> 8) & 0xff] ^
		      crc_tab[5][(v >> 16) & 0xff] ^
		      crc_tab[4][(v >> 24) & 0xff] ^
		      crc_tab[3][(v >> 32) & 0xff] ^
		      crc_tab[2][(v >> 40) & 0xff] ^
		      crc_tab[1][(v >> 48) & 0xff] ^ crc_tab[0][v >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint32_t pmfs_obj_crc(const void *obj, size_t len)
{
	return pmfs_crc32c(0, (const uint8_t *)obj + 4, len - 4);
}

bool pmfs_obj_crc_ok(const void *obj, size_t len)
{
	uint32_t c;

	memcpy(&c, obj, 4);
	return c == pmfs_obj_crc(obj, len);
}

void pmfs_obj_seal(void *obj, size_t len)
{
	uint32_t c = pmfs_obj_crc(obj, len);

	memcpy(obj, &c, 4);
}
