"""bigbox.py - the big mailbox of the benchmark (newmail-bench bigbox):
N small messages (about 200 octets each, numbered), written once.

    python3 bigbox.py mbox N FILE       an mbox file for `newmail import`
    python3 bigbox.py maildir N DIR     a Maildir (DIR/{new,cur,tmp}),
                                        the messages in cur/ as "seen"

The two hold the same messages, so newmail and Dovecot list the same
sizes.  No fsync: this is the fixture, not the measurement.  Bounded by
N (at most 2,000,000).
"""
import os
import sys


def message(i):
    return ("From: <bench@bench.example>\n"
            "To: <big1@big.example>\n"
            "Subject: big mailbox message %d\n"
            "Message-ID: <big%d@bench.example>\n"
            "\n"
            "Message %d of the big mailbox.\n" % (i, i, i))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("mbox", "maildir"):
        sys.exit("usage: bigbox.py mbox|maildir N PATH")
    n = int(sys.argv[2])
    if not 1 <= n <= 2000000:
        sys.exit("bigbox.py: N must be 1..2000000")
    path = sys.argv[3]
    if sys.argv[1] == "mbox":
        with open(path, "w") as f:
            for i in range(1, n + 1):
                f.write("From bench@bench.example Sat Nov 21 10:00:00 2026\n")
                f.write(message(i))
                f.write("\n")
        return
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
    for i in range(1, n + 1):
        name = "1763719200.M%dP1.bench:2,S" % i
        with open(os.path.join(path, "cur", name), "w") as f:
            f.write(message(i))


main()
