"""Write gridgov/cases/static/cases/urgent.wav, the workbench's urgent-case tone (issue 8).

Three rising two-note beeps, 1.1 s, 8-bit mono at 11 025 Hz (about 12 KB), with short fades so
the speaker does not click. Generated rather than downloaded: no external files, and anyone can
change it. Run: .venv/bin/python bench/make_alarm_sound.py
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

RATE = 11025
TARGET = Path(__file__).resolve().parent.parent / "gridgov" / "cases" / "static" / "cases" / "urgent.wav"


def _note(frequency: float, seconds: float, volume: float = 0.8) -> list[float]:
    count = int(RATE * seconds)
    fade = int(RATE * 0.012)
    samples = []
    for index in range(count):
        envelope = min(1.0, index / fade, (count - index) / fade)
        samples.append(volume * envelope * math.sin(2 * math.pi * frequency * index / RATE))
    return samples


def _silence(seconds: float) -> list[float]:
    return [0.0] * int(RATE * seconds)


def tone() -> bytes:
    samples: list[float] = []
    for _ in range(3):
        samples += _note(880, 0.13) + _note(1320, 0.13) + _silence(0.1)
    # 8-bit WAV samples are unsigned: silence is 128.
    return bytes(max(0, min(255, round(128 + 127 * value))) for value in samples)


def main() -> None:
    with wave.open(str(TARGET), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(RATE)
        out.writeframes(tone())
    print(f"{TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
