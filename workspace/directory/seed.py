"""The services of the coordination table, as listed on the Provincia di Milano's page (2014).

Columns: district (ambito distrettuale), health authority (ASL), reference service. The page
left the ASL of Genova empty and ended the Rho entry with a stray dash; both are tidied here.
"""

from workspace.directory.models import Scope

PROVINCIAL = [
    ("Milano", "Milano", "Spazio neutro-Comune Mi Ghenos Spazio Aperto Servizi"),
    ("Abbiategrasso", "1", "Spazio neutro Comune di Vigevano"),
    ("Castano primo Castanese", "1", "Spazio neutro Cooperativa Kinesis"),
    ("Cernusco sul Naviglio", "2", "Spazio incontri Cooperativa Atipica"),
    ("Cinisello Balsamo", "Milano", "Pdz Cinisello Balsamo Pianeta famiglia"),
    ("Garbagnate Milanese", "1", "Spazio neutro Comuni insieme"),
    ("Legnano", "1", "Spazio neutro CTA"),
    ("Melzo", "2", "Spazio incontri Cooperativa Atipica"),
    ("Magenta Corbetta", "1", "Spazio neutro Cooperativa Comin"),
    ("Paullo", "2", "Cooperativa Milagro"),
    ("Pieve Emanuele", "2", "Spazio neutro Cooperativa arti e mestieri"),
    ("Rho Rodense", "1", "Spazio Neutro Arimo Sercop"),
]

EXTRA_PROVINCIAL = [
    ("Busto Arsizio", "Varese", "Cooperativa Davide"),
    ("Gallarate", "Varese", "La Vela Spazio neutro AS 3SG"),
    ("Lecco", "Lecco", "Casa don Guanella"),
    ("Carate Brianza", "Monza/B", "Un nuovo giardino Coop.Diapason"),
    ("Mariano Comense", "Como", "TECUM"),
    ("Arcore", "Monza/B", "Offerta sociale"),
    ("Comune di Cremona", "Cremona", "Comune di Cremona"),
    ("Bergamo", "Bergamo", "Spazio Incontro Punto Più Coop. Aeper"),
    ("Seregno Robbiano", "Monza/B", "Cooperativa Atipica"),
    ("Piano di Zona Vigevano", "Comune di Vigevano", "Spazio neutro Comune di Vigevano"),
    ("Genova", None, "Centro Servizi Minori e famiglia"),
    ("Comune Bergamo", "Ambito 1", "Servizio ADM e Famiglie e Progetti Extrascuola"),
]

SERVICES = [(Scope.PROVINCIAL, row) for row in PROVINCIAL] + [
    (Scope.EXTRA_PROVINCIAL, row) for row in EXTRA_PROVINCIAL
]
