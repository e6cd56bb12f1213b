#!/usr/bin/python3
"""A skimmer with pyscard, a PC/SC client independent of ours: it sends what it likes to
the card and never runs PACE.

usage: skim.py READER COMMAND_HEX...
Prints one line per exchange: "> COMMAND" then "< RESPONSE", hex, as testdata/apdu/ writes
them, then the card's ATR.
"""
import sys

from smartcard.System import readers
from smartcard.util import toBytes, toHexString


def main():
    name, commands = sys.argv[1], sys.argv[2:]
    reader = next(r for r in readers() if str(r) == name)
    connection = reader.createConnection()
    connection.connect()
    for command in commands:
        data, sw1, sw2 = connection.transmit(toBytes(command))
        response = toHexString(data + [sw1, sw2], format=1)
        print("> " + command.upper())
        print("< " + response)
    atr = toHexString(connection.getATR(), format=1)
    print("ATR " + atr)


if __name__ == "__main__":
    main()
