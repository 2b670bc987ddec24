// SPDX-License-Identifier: BSD-2-Clause
/* test_crc32c.c - CRC32C against known vectors (RFC 3720 B.4) */
#include "util.h"
#include "core_i.h"

static void test_vectors(void **state)
{
	uint8_t b[32];

	assert_int_equal(pmfs_crc32c(0, "123456789", 9), 0xE3069283U);
	memset(b, 0, 32);
	assert_int_equal(pmfs_crc32c(0, b, 32), 0x8A9136AAU);
	memset(b, 0xff, 32);
	assert_int_equal(pmfs_crc32c(0, b, 32), 0x62A8AB43U);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	assert_int_equal(pmfs_crc32c(0, b, 32), 0x46DD794EU);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	assert_int_equal(pmfs_crc32c(0, b, 32), 0x113FDB5CU);
	assert_int_equal(pmfs_crc32c(0, "", 0), 0);
}

static void test_incremental_unaligned(void **state)
{
	uint8_t b[1001];

	fill(b, sizeof(b), 7);
	for (size_t cut = 0; cut < 40; cut++) {
		uint32_t c = pmfs_crc32c(0, b, cut);

		assert_int_equal(pmfs_crc32c(c, b + cut, sizeof(b) - cut),
				 pmfs_crc32c(0, b, sizeof(b)));
	}
	/* unaligned starts agree with a byte-wise reference */
	for (size_t s = 1; s < 9; s++)
		assert_int_equal(pmfs_crc32c(0, b + s, 100),
				 pmfs_crc32c(pmfs_crc32c(0, b + s, 3), b + s + 3, 97));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_incremental_unaligned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
