"""The explanations in Leichte Sprache (BITV 2.0 § 4), one home for their text.

The sign-language page (DGS) shows the same sections: each section's video is
uploaded by an admin and shown beside this text. The text is German by nature
(Leichte Sprache is a form of German), so it is not in the translation
catalogues; pages in the English interface mark it with ``lang="de"``.

Written after the rules of the Netzwerk Leichte Sprache: short sentences, one
statement per sentence, no passive, hard words explained in a box, long words
split with a middle dot (Media·punkt).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """A hard word and what it means."""

    word: str
    meaning: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    sentences: tuple[str, ...]
    words: tuple[Word, ...] = ()


SECTIONS: tuple[Section, ...] = (
    Section(
        "ideenmarkt",
        "Was ist der Ideen·markt?",
        (
            "Der Ideen·markt ist eine Internet·seite von der Stadt.",
            "Die Stadt will wissen: Was denken die Bürger und Bürgerinnen?",
            "Deshalb lädt die Stadt Menschen zu Treffen ein.",
            "Die Treffen heißen Veranstaltungen.",
            "Bei einer Veranstaltung sammeln alle zusammen Ideen für die Stadt.",
            "Danach schauen sich die Politiker und Politikerinnen die Ideen an.",
            "Sie entscheiden dann: Was macht die Stadt mit den Ideen?",
            "Auf dieser Internet·seite können Sie lesen: Was ist aus den Ideen geworden?",
        ),
        (
            Word("Bürger und Bürgerinnen", "Das sind die Menschen, die in der Stadt wohnen."),
            Word("Politiker und Politikerinnen",
                 "Das sind Menschen im Gemeinde·rat. Der Gemeinde·rat entscheidet für die Stadt."),
        ),
    ),
    Section(
        "bewerben",
        "Wie bewerbe ich mich für einen Platz?",
        (
            "Bei einer Veranstaltung gibt es nur wenige Plätze.",
            "Sie können sich für einen Platz bewerben.",
            "Bewerben bedeutet: Sie sagen der Stadt, Sie wollen mitmachen.",
            "Das geht so:",
            "Sie öffnen die Seite von der Veranstaltung.",
            "Sie klicken auf den Knopf „Jetzt bewerben“.",
            "Sie schreiben Ihren Namen und Ihre E-Mail-Adresse in das Formular.",
            "Die Stadt stellt Ihnen vielleicht noch ein paar Fragen. Zum Beispiel: Wie alt sind Sie?",
            "Dann schickt Ihnen die Stadt eine E-Mail.",
            "In der E-Mail ist ein Link.",
            "Sie klicken auf den Link. So zeigen Sie: Die E-Mail-Adresse gehört wirklich Ihnen.",
            "Sie haben keine E-Mail-Adresse? Dann rufen Sie die Stadt an. Die Stadt schreibt Ihre Bewerbung für Sie auf.",
        ),
        (
            Word("Link", "Ein Link ist ein Text zum Anklicken. Er bringt Sie zu einer anderen Internet·seite."),
            Word("Formular", "Ein Formular hat Felder. In die Felder schreiben Sie etwas hinein."),
        ),
    ),
    Section(
        "auslosung",
        "Wie funktioniert die Auslosung?",
        (
            "Oft bewerben sich mehr Menschen, als es Plätze gibt.",
            "Dann entscheidet das Los.",
            "Das Los ist wie eine Lotterie. Niemand kann das Ergebnis vorher bestimmen.",
            "Die Stadt will: Bei der Veranstaltung sind ganz verschiedene Menschen.",
            "Zum Beispiel junge und alte Menschen.",
            "Zum Beispiel Menschen aus allen Stadt·teilen.",
            "Deshalb legt die Stadt vorher Gruppen fest.",
            "Der Computer rechnet aus: So bekommt jeder Mensch eine möglichst gleiche Chance.",
            "Dann werfen Menschen vor Publikum Würfel.",
            "Die Würfel bestimmen: Wer bekommt einen Platz?",
            "Jeder kann das Ergebnis danach nach·prüfen.",
            "Sie bekommen eine E-Mail: Haben Sie einen Platz bekommen oder nicht?",
            "Sie haben einen Platz? Dann sagen Sie bitte zu. Oder Sie sagen ab.",
            "Sagen Sie ab, dann bekommt ein anderer Mensch Ihren Platz.",
        ),
        (
            Word("Los", "Das Los ist ein Zufall. Zum Beispiel ein Würfel·wurf."),
            Word("nach·prüfen", "Nach·prüfen bedeutet: Man schaut noch einmal genau hin. "
                                "Man sieht dann: Alles ist richtig."),
        ),
    ),
    Section(
        "pruefen",
        "Wie prüfe ich die Auslosung?",
        (
            "Vor der Auslosung veröffentlicht die Stadt eine lange Zahl.",
            "Diese Zahl heißt Festlegung.",
            "Die Festlegung steht auf der Seite von der Auslosung.",
            "Schreiben Sie die Festlegung vor der Auslosung ab. Oder speichern Sie die Seite.",
            "Die Festlegung passt nur zu einer einzigen Liste.",
            "In der Liste stehen alle Bewerbungen und alle möglichen Gruppen.",
            "Niemand kann die Liste danach heimlich ändern.",
            "Dann würde die Festlegung nicht mehr passen.",
            "In der Liste steht kein Name.",
            "Jede Person hat ein Pseudonym. Zum Beispiel: A-7F3K2.",
            "Ihr Pseudonym bekommen Sie per E-Mail.",
            "Auf Ihrer eigenen Seite sehen Sie: Das hat die Auslosung über Sie aufgeschrieben.",
            "Stimmt etwas nicht? Dann schreiben Sie es uns auf dieser Seite. Am besten vor der Auslosung.",
            "Nach der Auslosung gibt es eine Prüf·datei.",
            "Ein Prüf·programm rechnet alles nach.",
            "Das Programm sagt: Passt die Datei zu der Festlegung von vorher?",
            "Das Prüf·programm prüft auch: Ist die Auslosung so fair wie möglich?",
            "Dafür steht in der Prüf·datei ein Nachweis.",
            "Das Programm rechnet den Nachweis nach.",
            "Auch der Nachweis passt zu der Festlegung.",
            "Niemand kann den Nachweis danach heimlich aus·tauschen.",
            "Manchmal dauert die Rechnung zu lange.",
            "Dann hört der Computer nach einer festen Zeit auf.",
            "Dann gibt es keinen Nachweis.",
            "Das steht dann auf der Seite von der Auslosung.",
            "Das Prüf·programm gibt es auf der Seite von der Auslosung.",
            "Manchmal hängt die Zahl auch von einem öffentlichen Wert ab.",
            "Zum Beispiel: von den Lotto·zahlen an einem bestimmten Tag.",
            "Vor der Auslosung steht auf der Seite: Von diesem Wert hängt die Zahl ab.",
            "Nach der Auslosung steht der Wert auch auf der Seite.",
            "Vergleichen Sie: Steht in der Zeitung oder im Internet der gleiche Wert?",
            "So kann niemand die Zahl heimlich aus·suchen.",
            "Würfelt die Stadt? Dann vergleichen Sie: Passen die Würfel zu der Zahl auf der Seite?",
            "Auf der Seite stehen auch Gruppen.",
            "In einer Gruppe sind alle Bewerbungen mit den gleichen Antworten.",
            "Bei jeder Gruppe steht: So viele Personen sind in der Gruppe.",
            "Die Antworten von einzelnen Personen stehen nicht auf der Seite.",
            "Das Prüf·programm zählt die Gruppen nach.",
            "Auf Ihrer eigenen Seite sehen Sie: In dieser Gruppe sind Sie.",
            "Manchmal zieht der Computer von der Stadt die Zahl.",
            "Dann steht dort: nicht öffentlich überprüfbar.",
            "Das bedeutet: Diese eine Zahl kann niemand nach·prüfen.",
        ),
        (
            Word("Festlegung", "Die Festlegung ist eine lange Zahl aus Buchstaben und Ziffern. "
                               "Sie passt nur zu einer einzigen Liste."),
            Word("Pseudonym", "Ein Pseudonym ist ein Ersatz·name. Nur Sie wissen: Das Pseudonym gehört zu Ihnen."),
            Word("Prüf·datei", "In der Prüf·datei steht alles über die Auslosung. Aber keine Namen."),
            Word("öffentlicher Wert", "Ein öffentlicher Wert ist eine Zahl für alle. Alle können die Zahl sehen. "
                                      "Zum Beispiel die Lotto·zahlen. Vor der Auslosung kennt die Zahl noch "
                                      "niemand."),
        ),
    ),
    Section(
        "veranstaltung",
        "Was passiert bei der Veranstaltung?",
        (
            "Sie bekommen vorher ein Ticket mit einem Code.",
            "Der Code besteht aus Buchstaben und Zahlen.",
            "Bringen Sie das Ticket zur Veranstaltung mit. Sie können es auch auf dem Handy zeigen.",
            "Am Eingang zeigen Sie Ihr Ticket. Das heißt Einlass.",
            "In dem Raum gibt es mehrere Markt·stände.",
            "Jeder Markt·stand hat ein Thema. Zum Beispiel: Verkehr.",
            "Sie gehen von Stand zu Stand.",
            "An jedem Stand sagen Sie Ihre Ideen.",
            "Ein Mitarbeiter oder eine Mitarbeiterin schreibt Ihre Idee auf.",
            "Alle können die Ideen auf einer großen Lein·wand lesen.",
        ),
        (
            Word("Markt·stand", "Ein Markt·stand ist ein Tisch mit einem Thema. "
                                "Dort sprechen alle über dieses Thema."),
            Word("Code", "Ein Code ist wie ein Pass·wort. Nur Sie kennen Ihren Code."),
        ),
    ),
    Section(
        "abstimmung",
        "Wie funktioniert die Abstimmung?",
        (
            "Am Ende von der Veranstaltung stimmen alle ab.",
            "Jeder Mensch bekommt ein paar Punkte.",
            "Die Punkte sind wie Stimmen.",
            "Sie geben Ihre Punkte den Ideen, die Ihnen am besten gefallen.",
            "Das geht auf dem Handy. Dafür brauchen Sie den Code von Ihrem Ticket.",
            "Das geht auch mit Klebe·punkten auf Papier.",
            "Niemand sieht, wem Sie Ihre Punkte geben.",
            "Die Ideen mit den meisten Punkten sind den Menschen am wichtigsten.",
            "Die Stadt veröffentlicht das Ergebnis auf dieser Internet·seite.",
        ),
        (
            Word("veröffentlichen", "Veröffentlichen bedeutet: Alle Menschen können es lesen."),
        ),
    ),
    Section(
        "daten",
        "Was passiert mit meinen Daten?",
        (
            "Ihre Daten sind zum Beispiel Ihr Name und Ihre E-Mail-Adresse.",
            "Die Stadt braucht Ihre Daten nur für die Veranstaltung.",
            "Die Stadt gibt Ihre Daten nicht an andere weiter.",
            "Ihre Ideen stehen ohne Ihren Namen auf der Internet·seite.",
            "Nach der Veranstaltung löscht die Stadt Ihre Daten.",
            "Die Stadt sagt Ihnen vorher, wann sie Ihre Daten löscht.",
            "Sie können Ihre Daten jederzeit ansehen.",
            "Sie können Ihre Daten auch selbst löschen.",
            "Dafür gibt es einen Link in Ihrer E-Mail von der Stadt.",
        ),
        (
            Word("Daten", "Daten sind Angaben über Sie. Zum Beispiel Ihr Name."),
            Word("löschen", "Löschen bedeutet: Die Daten sind danach für immer weg."),
        ),
    ),
    Section(
        "barriere",
        "Wie melde ich eine Barriere?",
        (
            "Eine Barriere ist ein Hindernis.",
            "Vielleicht können Sie etwas auf dieser Internet·seite nicht benutzen.",
            "Zum Beispiel: Ein Text ist zu klein. Oder ein Knopf funktioniert nicht.",
            "Dann sagen Sie es uns bitte.",
            "Dafür gibt es ein Formular. Es heißt „Barriere melden“.",
            "Den Link zu dem Formular finden Sie unten auf jeder Seite.",
            "Sie können uns auch eine E-Mail schreiben.",
            "Wir antworten Ihnen.",
            "Wir machen die Barriere weg. Oder wir geben Ihnen die Informationen auf einem anderen Weg.",
        ),
    ),
)

SECTION_KEYS = tuple(section.key for section in SECTIONS)

#: The fixed texts around the sections, in Leichte Sprache too (German in every interface).
PAGE = {
    "title": "Der Ideen·markt in Leichter Sprache",
    "intro": "Auf dieser Seite erklären wir den Ideen·markt in Leichter Sprache.",
    "contents": "Inhalt",
    "contents_label": "Inhalt von dieser Seite",
    "words": "Wort·erklärungen",
    "report": "Barriere melden",
    "sign_language": "Diese Erklärungen gibt es auch in Gebärden·sprache.",
    "summary": "In Leichter Sprache",
    "more": "Mehr Erklärungen in Leichter Sprache",
}


def section(key: str) -> Section | None:
    return next((s for s in SECTIONS if s.key == key), None)
