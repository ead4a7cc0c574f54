"""The vocabulary of the strike domain: enums and the fixed target-type -> category map."""

from __future__ import annotations

from enum import Enum


class Decision(str, Enum):
    ALLOWED = "allowed"
    PROHIBITED = "prohibited"

    def __str__(self) -> str:
        return self.value


class WeaponClass(str, Enum):
    TUBE_ARTILLERY = "tube_artillery"
    ROCKET_ARTILLERY = "rocket_artillery"
    BALLISTIC_MISSILE = "ballistic_missile"
    CRUISE_MISSILE = "cruise_missile"
    GLIDE_BOMB = "glide_bomb"
    AIR_DEFENSE = "air_defense"
    COMBAT_AIRCRAFT = "combat_aircraft"
    ARMORED_VEHICLE = "armored_vehicle"
    DRONE = "drone"

    def __str__(self) -> str:
        return self.value


class TargetCategory(str, Enum):
    MILITARY = "military"
    DUAL_USE = "dual_use"
    CIVILIAN = "civilian"

    def __str__(self) -> str:
        return self.value


class TargetType(str, Enum):
    TROOPS = "troops"
    EQUIPMENT = "equipment"
    ARTILLERY = "artillery"
    MISSILE_BASE = "missile_base"
    COMMAND_CENTER = "command_center"
    AIR_DEFENSE = "air_defense"
    AIRFIELD = "airfield"
    AIRCRAFT = "aircraft"
    LOGISTICS = "logistics"
    ENERGY_INFRASTRUCTURE = "energy_infrastructure"
    CIVILIAN = "civilian"

    def __str__(self) -> str:
        return self.value

    @property
    def category(self) -> TargetCategory:
        return TARGET_CATEGORY[self]


TARGET_CATEGORY: dict[TargetType, TargetCategory] = {
    **dict.fromkeys(TargetType, TargetCategory.MILITARY),
    TargetType.ENERGY_INFRASTRUCTURE: TargetCategory.DUAL_USE,
    TargetType.CIVILIAN: TargetCategory.CIVILIAN,
}


class Basis(str, Enum):
    """How directly a rule rests on its source."""

    SEED = "seed"
    EXTERNAL = "external"
    INTERPRETATION = "interpretation"

    def __str__(self) -> str:
        return self.value


COUNTRIES = ("UA", "RU")

# The longest distance a strike can have on Earth (half the equator, rounded up), so a
# range without a weapon still has a bound; it also keeps every number finite for the engines.
MAX_RANGE_KM = 20_100.0
