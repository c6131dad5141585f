"""The adopted document's tables, as the Kokemäki 2026–2029 document lays them out.

Written down from the document by hand (the tests never read the document itself): each
table's heading, its columns ("PERIOD" is the period's column, which the council's tables name
"Q2/2026" and the exports name for the period they report; the area and strategic tables get
it and the status after their own columns), its responsibility areas and its goals in order.
"""

from __future__ import annotations

from dataclasses import dataclass

PERIOD = "PERIOD"


@dataclass(frozen=True)
class SeedTable:
    heading: str  # "" where the document has none
    columns: tuple[str, ...]
    groups: tuple[str, ...]  # the themes (strategic) or responsibility areas, in order
    goals: tuple[str, ...]  # the goals (Tavoite / Sitova tavoite) or strategic metrics


STRATEGIC = ("Mittarimme", "Tavoitteemme", "Tilannekuva", PERIOD, "Status")
COUNCIL = ("Toimiala", "Tavoite", "Mittari", "Lähtötilanne", PERIOD, "Tavoite", "Status")
AREA = (
    "Vastuualue",
    "Sitova tavoite",
    "Toimenpide",
    "Mittari",
    "Mittarin lähtötaso / tavoitetaso",
    PERIOD,
    "Status",
)

SEED_TABLES = (
    SeedTable(
        "",
        STRATEGIC,
        ("Hyvinvoiva koti", "Älykäs maaseutukaupunki", "Rohkea tulevaisuus", "Kestävä talous"),
        (
            "1. Asukastyytyväisyys",
            "1. Kasvihuonekaasupäästöt",
            "1. Työttömien osuus työvoimasta",
            "2. Kokonaisnettomuutto",
            "3. Väestönkehitys",
            "1. Verotulot asukasta kohden",
            "2. Yhteisöverokertymä",
        ),
    ),
    SeedTable(
        "Hallinto-osaston kaupunginvaltuustoon nähden sitovat toiminnalliset tavoitteet",
        COUNCIL,
        ("Hallinto",),
        ("Hyvinvoinnin edistäminen kunnassa", "Asukaskyselyn toteuttaminen"),
    ),
    SeedTable(
        "Sivistysosaston kaupunginvaltuustoon nähden sitovat toiminnalliset tavoitteet",
        COUNCIL,
        ("Sivistys",),
        (
            "Lukiokoulutuksen turvaaminen Kokemäellä",
            "Varhaiskasvatuksen maksuttomuus Kokemäellä",
            "Vapaan sivistystyön säilyttäminen Kokemäellä",
        ),
    ),
    SeedTable(
        "Teknisen osaston kaupunginvaltuustoon nähden sitovat toiminnalliset tavoitteet",
        COUNCIL,
        ("Tekninen",),
        (
            "Kaupungin kiinteistöjen energiankulutus vähennee 10 % vuodesta 2025 vuoteen 2029.",
            "Selvitetään liittymisen julkisen alan energiatehokkuussopimukseen",
            "Varautuminen ekologiseen kompensaatioon",
        ),
    ),
    SeedTable(
        "HALLINTO-OSASTON VASTUUALUEIDEN ELINVOIMA- JA HYVINVOINTILAUTAKUNTAAN NÄHDEN SITOVAT "
        "TAVOITTEET",
        AREA,
        ("Elinvoima- ja hyvinvointipalvelut", "Kirjasto- ja kulttuuripalvelut"),
        (
            "Hyvinvointityön jalkauttaminen",
            "Tuemme työllisyyttä",
            "Edistämme osallisuutta",
            "Toteutamme kulttuurikasvatusta",
            "Mahdollistamme elinikäisen oppimisen ja lisäämme kulttuurihyvinvointia",
            "Edistämme kiertotaloutta",
        ),
    ),
    SeedTable(
        "HALLINTO-OSASTON KAUPUNGINHALLITUKSEEN NÄHDEN SITOVAT TAVOITTEET",
        AREA,
        ("Yleishallinto",),
        (
            "Julkisten hankintojen sääntelyn uudistusten toimeenpano.",
            "Kaupungin ICT-kokonaisuuteen liittyvä selvitystyö.",
            "Kaupunkistrategian jalkauttaminen ja toteuttaminen.",
            "Työhyvinvoinnin edistäminen ja positiivisen työnantajakuva vahvistaminen.",
            "Toteutamme hyvää johtamista.",
            "Tuemme henkilöstömme työkykyä suunnitelmallisesti.",
            "Konserniohjauksen kehittäminen.",
            "Elinkeinoelämän toimintaympäristön vahvistaminen.",
            "Vahvistuva ja ylijäämäinen talous",
        ),
    ),
    SeedTable(
        "SIVISTYSOSASTON VASTUUALUEIDEN SIVISTYSLAUTAKUNTAAN NÄHDEN SITOVAT TAVOITTEET",
        AREA,
        (
            "Varhaiskasvatus ja esiopetus",
            "Perusopetus",
            "Toisen asteen koulutus",
            "Vapaa sivistystyö",
        ),
        (
            "Vahvistamme yhteistyötä huoltajien kanssa",
            "Vahvistamme positiivista toimintakulttuuria",
            "Edistämme aktiivista muutoksiin sopeutuvaa turvallisuuskulttuuria.",
            "Tuemme henkilöstön ammatillista kehittymistä.",
            "Laadukkaan lukiokoulutuksen tarjoaminen.",
            "Hyvinvoiva lukioyhteisö",
            "Toimimme yhteistyössä muiden toimijoiden kanssa.",
            "Tarjoamme monipuolisen opintotarjonnan.",
            "Edistämme toiminnan näkyvyyttä",
        ),
    ),
    SeedTable(
        "TEKNISEN OSASTON VASTUUALUEIDEN TEKNISEN- JA YMPÄRISTÖLAUTAKUNTAAN NÄHDEN SITOVAT "
        "TAVOITTEET",
        AREA,
        (
            "Hallinto",
            "Yleisten alueiden hoito",
            "Kiinteistöjen hoito",
            "Tilahallintopalvelut",
            "Ympäristötoimi",
            "Rakennusvalvonta",
        ),
        (
            "Vt2:n eteläpuolen teollisuusalueen asemakaavan valmistelu.",
            "Kävelyn ja pyöräilyn edistäminen.",
            "Kevyen liikenteen väylien kehittäminen ja yhteyksien parantaminen.",
            "Vähäpäästöiseen kalustoon siirtyminen.",
            "Kaupungin hallinnoimien alueiden (pl. metsät) monimuotoisuutta ja viihtyisyyttä "
            "lisätään vuosittaisella puiden istutuksella.",
            "Kauvatsan päiväkotikoulun ikkunoiden uusiminen ja lukion valaistuksen uusiminen.",
            "Kiinteistöjen automaatiojärjestelmien inventointi ja nykyaikaistaminen.",
            "Lisätään luomutuotteiden osuutta ruuan valmistuksessa.",
            "Vähennetään ruokapalveluiden tuottamaa ruokahävikkiä.",
            "Yhteydenottoihin vastataan mahdollisimman nopeasti.",
            "Viranhaltijapäätökset tehdään mahdollisimman nopeasti.",
            "Rakentamisluvat käsitellään mahdollisimman nopeasti.",
            "Yhteydenottoihin vastataan mahdollisimman nopeasti.",
        ),
    ),
)


def columns_for(table: SeedTable, period_label: str) -> list[str]:
    """The table's column names, the period's column named for ``period_label``."""
    return [period_label if c == PERIOD else c for c in table.columns]
