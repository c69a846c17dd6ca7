/*
 * au_quota.c - the popstore quota rule at delivery time.
 *
 * PMDF popstore: a message is accepted while the account's usage is under
 * its quota, as long as usage plus the message does not pass quota plus
 * overdraft; so one message may take the mailbox past quota, and the next
 * is refused.  Policy for the refusal (RFC 3463 X.2.2 "mailbox full"):
 * when the message alone is larger than quota + overdraft it can never be
 * delivered, so 552 5.2.2 bounces it at once; any other refusal is 452
 * 4.2.2, because the owner may empty the mailbox and the sender's retry
 * then succeeds.
 * Limits: sizes in bytes as 64-bit values; sums are checked for overflow
 * (an overflowing sum counts as over the limit).
 * Privilege: none; pure computation.
 */
#include "au.h"

int au_quota_check(pl_u64 quota, pl_u64 overdraft, pl_u64 usage,
                   pl_u64 size)
{
    pl_u64 hard;

    if (quota == 0)
        return AU_Q_OK;
    hard = quota + overdraft;
    if (hard < quota)
        hard = ~(pl_u64)0;      /* saturate: an overdraft "to infinity" */
    if (size > hard)
        return AU_Q_PERM;
    if (usage >= quota)
        return AU_Q_TEMP;
    /* size <= hard, so hard - size does not wrap */
    if (usage > hard - size)
        return AU_Q_TEMP;
    return AU_Q_OK;
}

const char *au_quota_reply(int result)
{
    switch (result) {
    case AU_Q_OK:
        return "250 2.0.0";
    case AU_Q_TEMP:
        return "452 4.2.2";
    default:
        return "552 5.2.2";
    }
}
