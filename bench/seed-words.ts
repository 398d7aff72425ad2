/** Word lists the seed draws realistic-looking records from (DACH-flavoured, like the demo data). */

export const FIRST_NAMES = [
  'Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hannah', 'Ida', 'Jonas', 'Karl', 'Lena', 'Maximilian',
  'Nina', 'Oskar', 'Paula', 'Quentin', 'Rosa', 'Sophie', 'Tobias', 'Ulrike', 'Valentin', 'Wiebke', 'Xaver', 'Yvonne',
  'Zoe', 'Alexander', 'Birgit', 'Christian', 'Daniela', 'Elias', 'Franziska', 'Georg', 'Helena', 'Ingo', 'Julia',
  'Katharina', 'Lukas', 'Marie', 'Niklas', 'Olivia', 'Peter', 'Rainer', 'Sabine', 'Thomas', 'Ursula', 'Vincent',
  'Werner', 'Anja', 'Bernd', 'Carina', 'Dominik', 'Elke', 'Florian', 'Gabriele', 'Heinz', 'Isabel', 'Jan', 'Kerstin',
  'Leon', 'Monika', 'Noah', 'Petra', 'Ralf', 'Stefanie', 'Tim', 'Uwe', 'Vera', 'Wolfgang', 'Jürgen', 'Lea', 'Matteo',
  'Mia', 'Paul', 'Sarah', 'Simon', 'Laura', 'Fabian', 'Miriam', 'Sven',
];

export const LAST_NAMES = [
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Schäfer',
  'Koch', 'Bauer', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Krüger',
  'Hofmann', 'Hartmann', 'Lange', 'Schmitt', 'Werner', 'Schmitz', 'Krause', 'Meier', 'Lehmann', 'Schmid', 'Schulze',
  'Maier', 'Köhler', 'Herrmann', 'König', 'Walter', 'Mayer', 'Huber', 'Kaiser', 'Fuchs', 'Peters', 'Lang', 'Scholz',
  'Möller', 'Weiß', 'Jung', 'Hahn', 'Schubert', 'Vogel', 'Friedrich', 'Keller', 'Günther', 'Frank', 'Berger',
  'Winkler', 'Roth', 'Beck', 'Lorenz', 'Baumann', 'Franke', 'Albrecht', 'Schuster', 'Simon', 'Ludwig', 'Böhm',
  'Winter', 'Kraus', 'Martin', 'Schumacher', 'Krämer', 'Vogt', 'Stein', 'Jäger', 'Otto', 'Sommer', 'Groß', 'Seidel',
  'Heinrich', 'Brandt', 'Haas', 'Schreiber', 'Graf', 'Schulte', 'Dietrich', 'Ziegler', 'Kuhn', 'Kühn', 'Pohl', 'Engel',
  'Horn', 'Busch', 'Bergmann', 'Thomas', 'Voigt', 'Sauer', 'Arnold', 'Wolff', 'Pfeiffer',
];

/**
 * The long tail: one contact in five carries one of these (about 0.13% of contacts each, against
 * 0.8% for a common name), so prefix searches meet rare and late-alphabet names, names that start
 * in lower case or with an umlaut or accent, and the same name spelt with and without umlauts.
 */
export const RARE_LAST_NAMES = [
  'Mueller', 'Muller', 'Moeller', 'Koehler', 'Schaefer', 'Kruger', 'Müller-Lüdenscheidt', 'Meyer-Landrut', 'Schulze-Delitzsch',
  'von Bülow', 'von der Heide', 'van der Meer', 'van Dijk', 'de Vries', 'de Jong', 'di Lorenzo', 'zur Linde', "O'Brien", "D'Angelo",
  'Zander', 'Zeller', 'Zöllner', 'Zuber', 'Zorn', 'Zahn', 'Zielke', 'Zweig', 'Ullrich', 'Unger', 'Uhl', 'Quast', 'Quandt',
  'Ebert', 'Ihle', 'Idler', 'Oehme', 'Öhler', 'Übel', 'Ückert', 'Yorck', 'Xylander', 'Wüst', 'Vöhringer', 'Tränkle', 'Äckerle',
  'Yılmaz', 'Kaya', 'Demir', 'Şahin', 'Çelik', 'Yıldız', 'Yıldırım', 'Öztürk', 'Aydın', 'Özdemir', 'Arslan', 'Doğan', 'Kılıç',
  'Çetin', 'Koç', 'Kurt', 'Özkan', 'Şimşek', 'Nowak', 'Kowalski', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Kamiński', 'Lewandowski',
  'Zieliński', 'Szymański', 'Woźniak', 'Łukasik', 'Jovanović', 'Petrović', 'Nikolić', 'Marković', 'Đorđević', 'Ćosić', 'Šarić',
  'Horvat', 'Kovačević', 'Babić', 'Dvořák', 'Novák', 'Černý', 'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano',
  'Colombo', 'Ricci', 'Papadopoulos', 'Wood', 'Woodward', 'Woods', 'Young', 'Yates', 'Smith', 'Taylor', 'Walker', 'Wright',
  'García', 'Fernández', 'González', 'Núñez', 'Ibáñez', 'Muñoz', 'Sánchez', 'Gómez', 'Ferreira', 'Dubois', 'Lefèvre', 'Moreau',
  'Girard', 'Fontaine', 'Chevalier', 'Bérenger', 'Øster', 'Østergaard', 'Sørensen', 'Jørgensen', 'Ångström', 'Åberg', 'Nyström',
  'Lindqvist', 'Söderberg', 'Ekström', 'Jansen', 'Visser',
];

export const COMPANY_SUFFIXES = [
  'Technik', 'Logistik', 'Handel', 'Werke', 'Systeme', 'Bau', 'Energie', 'Software', 'Maschinenbau', 'Elektro',
  'Consulting', 'Medizintechnik', 'Feinkost', 'Druck', 'Metall', 'Kunststoff', 'Immobilien', 'Solar', 'Textil', 'Pharma',
];

export const LEGAL_FORMS = ['GmbH', 'AG', 'KG', 'GmbH & Co. KG', 'SE'];

export const INDUSTRIES = ['Manufacturing', 'Retail', 'Software', 'Logistics', 'Healthcare', 'Energy', 'Finance', 'Construction', 'Food', 'Automotive'];

/** City, postal code, country, dialling prefix. */
export const CITIES: ReadonlyArray<readonly [string, string, string, string]> = [
  ['Berlin', '10115', 'DE', '+49 30'], ['Hamburg', '20095', 'DE', '+49 40'], ['München', '80331', 'DE', '+49 89'],
  ['Köln', '50667', 'DE', '+49 221'], ['Frankfurt am Main', '60311', 'DE', '+49 69'], ['Stuttgart', '70173', 'DE', '+49 711'],
  ['Düsseldorf', '40213', 'DE', '+49 211'], ['Leipzig', '04109', 'DE', '+49 341'], ['Dresden', '01067', 'DE', '+49 351'],
  ['Hannover', '30159', 'DE', '+49 511'], ['Nürnberg', '90402', 'DE', '+49 911'], ['Bremen', '28195', 'DE', '+49 421'],
  ['Wien', '1010', 'AT', '+43 1'], ['Graz', '8010', 'AT', '+43 316'], ['Zürich', '8001', 'CH', '+41 44'],
  ['Basel', '4051', 'CH', '+41 61'], ['Amsterdam', '1012', 'NL', '+31 20'], ['Paris', '75001', 'FR', '+33 1'],
];

export const STREETS = ['Hauptstraße', 'Bahnhofstraße', 'Gartenweg', 'Industriestraße', 'Marktplatz', 'Lindenallee', 'Schillerstraße', 'Am Hafen'];

export const JOB_TITLES = [
  'Geschäftsführer', 'Einkaufsleiterin', 'Head of Procurement', 'IT-Leiter', 'CFO', 'Vertriebsleiterin', 'Projektmanager',
  'Office Manager', 'Werksleiter', 'Teamleiterin Einkauf', 'CTO', 'Buchhaltung', 'Assistenz der Geschäftsführung', 'Produktmanagerin',
];

export const MAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example'];

export const PRODUCTS = [
  'ERP-Einführung', 'Wartungsvertrag', 'Lizenzerweiterung', 'Cloud-Migration', 'Schulungspaket', 'Hardware-Rollout',
  'Rahmenvertrag', 'Support Premium', 'Pilotprojekt', 'Beratungspaket', 'Ersatzteilversorgung', 'Jahresabo',
];

export const CURRENCIES = ['EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'USD', 'CHF', 'GBP'];

export const LOST_REASONS = ['Preis zu hoch', 'Wettbewerber gewählt', 'Kein Budget', 'Projekt verschoben', 'Keine Rückmeldung'];

export const TICKET_SUBJECTS = [
  'Rechnung fehlerhaft', 'Login funktioniert nicht', 'Lieferung verspätet', 'Frage zur Lizenz', 'Export bricht ab',
  'Ersatzteil benötigt', 'Schnittstelle liefert Fehler', 'Bitte um Rückruf', 'Passwort zurücksetzen', 'Gerät defekt',
];

export const ACTIVITY_SUBJECTS = [
  'Erstgespräch', 'Angebot besprochen', 'Follow-up', 'Vertragsverhandlung', 'Demo-Termin', 'Rückfrage Technik',
  'Jahresgespräch', 'Notiz aus Messe', 'Angebot nachfassen', 'Referenzbesuch',
];
