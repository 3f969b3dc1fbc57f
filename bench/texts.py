"""Invented texts for the bench data: sentences chained from the demo question's own words, and
pools of names, titles and places. Deterministic: every choice goes through the caller's random
generator."""

import random
import re
from collections import defaultdict


class Babbler:
    """Invented sentences from an order-2 word chain over the demo's texts: they read like the
    demo (the same town, the same words) without repeating it."""

    END = "\0"

    def __init__(self, texts: list[str]) -> None:
        self.chain: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.starts: list[tuple[str, str]] = []
        for text in texts:
            for sentence in re.split(r"(?<=[.!?])\s+", text):
                words = sentence.split()
                if len(words) < 3:
                    continue
                self.starts.append((words[0], words[1]))
                for a, b, c in zip(words[:-1], words[1:], [*words[2:], self.END], strict=True):
                    self.chain[(a, b)].append(c)

    def sentence(self, rng: random.Random) -> str:
        a, b = rng.choice(self.starts)
        words = [a, b]
        while len(words) < 60:
            nxt = rng.choice(self.chain[(a, b)])
            if nxt == self.END:
                break
            words.append(nxt)
            a, b = b, nxt
        text = " ".join(words)
        return text if text[-1] in ".!?" else text + "."

    def text(self, rng: random.Random, length: int) -> str:
        """Whole sentences, about `length` characters (never far over it)."""
        out = self.sentence(rng)
        while len(out) < length * 0.8:
            nxt = self.sentence(rng)
            if len(out) + 1 + len(nxt) > length * 1.3 and len(out) > length * 0.5:
                break
            out += " " + nxt
        return out


def _pool(text: str) -> list[str]:
    return [word.strip() for word in text.replace("\n", ",").split(",") if word.strip()]


FACILITIES = _pool(
    """
    repair café, covered market, community kitchen, reading room, climbing wall,
    recording studio, tool library, skate park, seed library, food bank, co-working space,
    pottery studio, bike workshop, youth club, cinema, rooftop garden, allotment plots,
    play area, chess club, dance studio, craft fair, farmers' market, hostel, day nursery,
    health clinic, gallery, heritage room, music school, book swap, exhibition space, sauna,
    bakery, laundrette, language café, homework club, men's shed, boxing gym, choir room,
    darkroom, escape room, bouldering cave, wildflower meadow, bee garden, electric bus depot,
    charging hub, parcel lockers, tourist office, night café, coffee roastery,
    printing workshop, sewing room, wood workshop, tea room, radio studio, board game café,
    jazz bar, comedy night, outdoor stage, ice rink, paddling pool, dog park, community fridge,
    bike rental
    """
)
ADJECTIVES = _pool(
    """
    small, free, covered, open-air, weekend, pop-up, volunteer-run, heated, quiet, shared,
    low-cost, all-weather, late-night, seasonal, permanent, accessible, solar-powered,
    child-friendly, co-operative, temporary
    """
)
PLACES = _pool(
    """
    in the goods shed, on platform 2, in the booking hall, on the forecourt, under the canopies,
    in the signal box, in the old parcels office, by the footbridge, on the goods yard,
    in the waiting room, behind the station, in the car park, along the greenway,
    in the lamp room, on the roof, in the ticket office, next to the bus stop,
    in the stationmaster's house, in the cellar, on the old sidings
    """
)
PURPOSES = _pool(
    """
    for teenagers, for the whole town, for pensioners, for new families, for local makers,
    for schools, for walkers and cyclists, run by volunteers, open every evening, at weekends,
    for rainy days, for carers and parents
    """
)
FIRST_NAMES = _pool(
    """
    Ada, Aiko, Alba, Ali, Amina, Anders, Ane, Anika, Arash, Aurora, Bea, Bilal, Bruno, Camila,
    Carlos, Chidi, Clara, Dara, David, Deniz, Elif, Elena, Emil, Emma, Farah, Felix, Finn,
    Gabriel, Greta, Hana, Hugo, Ida, Imani, Ines, Isaac, Ivan, Jamal, Jana, Jin, Joel, Julia,
    Kai, Kamal, Karin, Kenji, Lara, Leon, Lina, Lucas, Maya, Mehmet, Mila, Nadia, Nikolai, Noor,
    Oscar, Paula, Quinn, Rafael, Rania, Reza, Rosa, Sami, Sara, Selin, Tariq, Tess, Uma, Vera,
    Yara
    """
)
SURNAMES = _pool(
    """
    Abbott, Achebe, Andersen, Baker, Barros, Berg, Bose, Campbell, Castro, Cohen, Costa, Dahl,
    Diallo, Dimitrov, Eriksen, Evans, Fischer, Garcia, Gill, Gomez, Haas, Hughes, Ito, Jansen,
    Kaur, Keller, Kim, Kovač, Larsen, Lopez, Mensah, Meyer, Moreau, Murphy, Nair, Nguyen, Novak,
    Okeke, Olsen, Owusu, Patel, Popescu, Quinn, Reyes, Rossi, Sato, Schmidt, Silva, Singh,
    Sousa, Suzuki, Taylor, Toure, Varga, Wagner, Walsh, Wong, Yilmaz, Zhang, Zielinski
    """
)


def demo_lengths() -> tuple[list[int], list[int], list[int]]:
    from ponder.questions.management.commands import demo

    descriptions = [len(d) for _t, d, _a in demo.IDEAS if d]
    arguments = [len(a) - 2 for _t, _d, texts in demo.IDEAS for a in texts]
    comments = [len(text) for _who, text in demo.COMMENTS]
    return descriptions, arguments, comments


def demo_corpus() -> list[str]:
    """Every sentence the demo question holds: its description, ideas, arguments and comments."""
    from ponder.questions.management.commands import demo

    corpus = [demo.DESCRIPTION.replace("\n", " ")]
    corpus += [d for _t, d, _a in demo.IDEAS if d]
    corpus += [a[2:] for _t, _d, texts in demo.IDEAS for a in texts]
    corpus += [text for _who, text in demo.COMMENTS]
    return corpus
