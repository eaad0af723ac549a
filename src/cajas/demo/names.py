"""Fictional names for the demo program (common Venezuelan, Ecuadorian and Colombian names)."""

WOMEN = [
    "María", "Yusmary", "Yelitza", "Daniela", "Andreína", "Carolina", "Gabriela", "Mariana",
    "Yuleisy", "Rosa", "Ana", "Luisa", "Karla", "Milagros", "Nathaly", "Génesis", "Valentina",
    "Dayana", "Johana", "Patricia", "Fernanda", "Lorena", "Mayerlin", "Yohana", "Estefanía",
    "Sofía", "Verónica", "Marisol", "Elena", "Diana",
]
MEN = [
    "José", "Luis", "Carlos", "Jesús", "Jorge", "Miguel", "Pedro", "Rafael", "Yorman",
    "Alexander", "Wilmer", "Eduardo", "Andrés", "Juan", "Kevin", "Daniel", "Richard",
    "Francisco", "Javier", "Ángel", "Héctor", "Óscar", "Víctor", "Gustavo", "Darwin",
]
FAMILY = [
    "González", "Rodríguez", "Pérez", "Hernández", "García", "Martínez", "López", "Sánchez",
    "Ramírez", "Torres", "Flores", "Rivas", "Mendoza", "Rojas", "Castillo", "Morales", "Vargas",
    "Guerrero", "Medina", "Suárez", "Zambrano", "Quispe", "Cedeño", "Moreira", "Chávez",
    "Salazar", "Contreras", "Paredes", "Valencia", "Bravo", "Villavicencio", "Carrasco",
]
CAJA_NAMES = [
    "Unidos por el Futuro", "Mujeres Emprendedoras", "Nuevo Amanecer", "Manos Solidarias",
    "Caminantes", "Sueños Compartidos", "Esperanza Viva", "Tierra de Acogida", "Semillas",
    "Puentes", "Renacer", "La Hermandad", "Fuerza Llanera", "Raíces", "Horizonte",
    "Progreso Juntos", "Amistad sin Fronteras", "Luz del Camino", "El Encuentro",
    "Crecer Juntas", "Vencedores", "Girasoles", "Ahorro Seguro", "Brisas del Pacífico",
    "Cumbres", "Los Andes", "Comunidad Activa", "Mano Amiga", "Futuro Común", "Arcoíris",
    "Primavera", "Confianza", "Estrella del Sur", "Guerreras", "Paso a Paso", "Alianza",
    "Nuevos Caminos", "Bienestar", "Tejiendo Redes", "Sol Naciente",
]
