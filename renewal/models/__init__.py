from renewal.models.history import ChangeAction, InventoryChange
from renewal.models.imports import ImportStatus, SpaceImport
from renewal.models.organizations import (
    Capability,
    CommunityOrganization,
    OrganizationKind,
)
from renewal.models.projects import (
    PROJECT_TRANSITIONS,
    ProjectCategory,
    ProjectStatus,
    ProjectSupport,
    ProjectTransition,
    RenewalProject,
)
from renewal.models.resources import NeighborhoodResource, ResourceCategory
from renewal.models.roles import CityMembership, CityRole, OrganizationMembership
from renewal.models.spaces import (
    HIGHEST_GRADE,
    SPACE_TRANSITIONS,
    Availability,
    Confidence,
    EvidenceKind,
    GradingScheme,
    Ownership,
    SpaceKind,
    SpaceOwner,
    SpaceStatus,
    VacancyEvidence,
    VacantSpace,
)

__all__ = [
    "PROJECT_TRANSITIONS",
    "ProjectCategory",
    "ProjectStatus",
    "ProjectSupport",
    "ProjectTransition",
    "RenewalProject",
    "HIGHEST_GRADE",
    "SPACE_TRANSITIONS",
    "Availability",
    "Capability",
    "ChangeAction",
    "CityMembership",
    "CityRole",
    "CommunityOrganization",
    "Confidence",
    "EvidenceKind",
    "GradingScheme",
    "ImportStatus",
    "InventoryChange",
    "NeighborhoodResource",
    "OrganizationKind",
    "OrganizationMembership",
    "Ownership",
    "ResourceCategory",
    "SpaceImport",
    "SpaceKind",
    "SpaceOwner",
    "SpaceStatus",
    "VacancyEvidence",
    "VacantSpace",
]
