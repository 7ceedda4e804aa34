"""Demo ideas (used by ``app.demo``): the three stands of the Esslingen citizens' workshop and the
further workshops of the other stakeholder groups. Texts are illustrative; the tags overlap so that
the groups can be compared."""
from __future__ import annotations

#: Per stand position: (text with inline tags, said by).
DEMO_IDEAS = {
    1: [
        ("Die Homepage muss auf dem Handy gut lesbar sein #mobil", ""),
        ("Suchfunktion, die auch Tippfehler versteht #suche", "Tisch 1"),
        ("Leichte Sprache für die wichtigsten Seiten #barrierefreiheit", ""),
        ("Veranstaltungskalender der Stadt mit Filter nach Stadtteil #kalender", ""),
    ],
    2: [
        ("Termine beim Bürgeramt online buchen #Bürgerportal #termine", ""),
        ("Ein Bürgerkonto für alle Dienste, mit nur einer Anmeldung #Bürgerportal", "Gruppe Jugendgemeinderat"),
        ("Online-Terminbuchung für das Bürgeramt #termine", ""),
        ("Status meines Antrags jederzeit einsehen #transparenz", ""),
    ],
    3: [
        ("Anwohnerparkausweis komplett digital beantragen #parken", ""),
        ("Formulare ohne Ausdrucken und Unterschreiben einreichen #formulare", "Tisch 3"),
        ("Sperrmüll online anmelden #abfall", ""),
        ("Datenschutz bei allen Online-Diensten klar erklären #datenschutz", ""),
    ],
}

#: Per stakeholder group of the further workshops: (text with inline tags, said by).
FURTHER_IDEAS = {
    "Unternehmen": [
        ("Gewerbeanmeldung komplett online #formulare", ""),
        ("Ein Unternehmenskonto für alle Anträge bei der Stadt #Bürgerportal", ""),
        ("Termine bei der Wirtschaftsförderung online buchen #termine", ""),
        ("Schnelles Internet in allen Gewerbegebieten #breitband", ""),
    ],
    "City-Initiative": [
        ("Freies WLAN in der ganzen Innenstadt #wlan", ""),
        ("Online-Schaufenster der Esslinger Geschäfte auf der Homepage der Stadt #mobil", ""),
        ("Freie Parkplätze in den Parkhäusern live anzeigen #parken", ""),
    ],
    "Hochschule": [
        ("Offene Daten der Stadt maschinenlesbar veröffentlichen #opendata", ""),
        ("Datenschutz und IT-Sicherheit von Anfang an mitdenken #datenschutz", ""),
        ("Gemeinsame Projekte von Studierenden und Verwaltung #kooperation", ""),
    ],
    "Jugendgemeinderat": [
        ("Die Homepage muss zuerst auf dem Handy funktionieren #mobil", ""),
        ("Freies WLAN an Schulen und Jugendhäusern #wlan", ""),
        ("Schülerausweis und Bibliotheksausweis in einer App #Bürgerportal", ""),
        ("Erklären, was mit unseren Daten passiert #datenschutz", ""),
    ],
}
