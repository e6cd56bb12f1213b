#!/usr/bin/python3
"""A border check with pyscard, a PC/SC client independent of ours.

usage: border_check.py READER CHALLENGE_HEX
Prints one line per exchange: "> COMMAND" then "< RESPONSE", hex, as testdata/apdu/ writes them.
Reads the record with extended length when the card allows it, as docs/apdu.md describes.
"""
import sys

from smartcard.System import readers
from smartcard.util import toBytes, toHexString

AID = "F04B475354415901"


def main():
    name, challenge = sys.argv[1], sys.argv[2]
    reader = next(r for r in readers() if str(r) == name)
    connection = reader.createConnection()
    connection.connect()
    commands = [
        "00A4040008" + AID + "00",
        "00B08100000000",
        "0088000010" + challenge + "00",
    ]
    for command in commands:
        data, sw1, sw2 = connection.transmit(toBytes(command))
        response = toHexString(data + [sw1, sw2], format=1)
        print("> " + command.upper())
        print("< " + response)
    atr = toHexString(connection.getATR(), format=1)
    print("ATR " + atr)


if __name__ == "__main__":
    main()
