//! Projects and their crew assignments.

use redb::ReadableTable;

use super::records::{cursor, decode, encode};
use super::tx::{Mode, Tables};
use super::users::valid_name;
use super::{StoreError, Tx, View};
use commcenter::access::{self, Audience, Caller, Slot};
use commcenter::wire::{
    ConversationKind, EventData, NewProject, Page, Project, ProjectPatch, ProjectStatus, Role,
};
use commcenter::Id;

impl<M: Mode> Tables<M> {
    pub fn find_project(&self, id: Id) -> Result<Option<Project>, StoreError> {
        match self.project.get(id.to_u128())? {
            Some(v) => Ok(Some(decode(v.value())?)),
            None => Ok(None),
        }
    }

    /// Whether `crew` is assigned to `project_id`.
    pub fn crew_assigned(&self, crew: Id, project_id: Id) -> Result<bool, StoreError> {
        Ok(self
            .crew_project
            .get((crew.to_u128(), project_id.to_u128()))?
            .is_some())
    }

    /// Whether `caller` is in `audience`, reading crew assignments as needed.
    pub fn audience_includes(
        &self,
        audience: &Audience,
        caller: &Caller,
    ) -> Result<bool, StoreError> {
        audience.includes_with(caller, |project_id| {
            self.crew_assigned(caller.user_id, project_id)
        })
    }

    /// The project if `caller` may see it; otherwise `NotFound`, so that
    /// existence does not leak.
    pub fn visible_project(&self, caller: &Caller, id: Id) -> Result<Project, StoreError> {
        let project = self
            .find_project(id)?
            .ok_or_else(|| StoreError::not_found("project", id))?;
        if self.audience_includes(&project_audience(&project), caller)? {
            Ok(project)
        } else {
            Err(StoreError::not_found("project", id))
        }
    }
}

pub(super) fn project_audience(p: &Project) -> Audience {
    Audience::Project {
        project_id: p.id,
        customer_id: p.customer_id,
    }
}

impl View {
    /// `GET /projects`: staff see all, crew their assigned, customers their own;
    /// newest first.
    pub fn list_projects(
        &self,
        caller: &Caller,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page<Project>, StoreError> {
        let before = match after {
            Some(c) => cursor::decode_id(c)?.to_u128(),
            None => u128::MAX,
        };
        let ids = self.project_ids_for(caller, before)?;
        let mut items = Vec::new();
        let mut next_cursor = None;
        for id in ids {
            if items.len() == limit {
                next_cursor = items.last().map(|p: &Project| p.id.to_string());
                break;
            }
            let Some(project) = self.find_project(Id::from_u128(id))? else {
                continue;
            };
            // The index names candidates; the audience rule decides.
            if self.audience_includes(&project_audience(&project), caller)? {
                items.push(project);
            }
        }
        Ok(Page { items, next_cursor })
    }

    /// Ids of the projects below `before` worth checking for `caller`, newest
    /// first: every project for staff, else the index of the caller's own
    /// (crew: assigned; customers: theirs).
    fn project_ids_for(&self, caller: &Caller, before: u128) -> Result<Vec<u128>, StoreError> {
        let mut ids = Vec::new();
        if access::in_every_audience(caller) {
            for row in self.project.range(..before)?.rev() {
                ids.push(row?.0.value());
            }
            return Ok(ids);
        }
        let me = caller.user_id.to_u128();
        let index = match caller.role {
            Role::Crew => &self.crew_project,
            _ => &self.customer_project,
        };
        for row in index.range((me, 0)..(me, before))?.rev() {
            ids.push(row?.0.value().1);
        }
        Ok(ids)
    }

    /// `GET /projects/{id}`.
    pub fn get_project(&self, caller: &Caller, id: Id) -> Result<Project, StoreError> {
        self.visible_project(caller, id)
    }
}

impl Tx<'_> {
    /// `POST /projects` (staff): the project and its crew conversation.
    pub fn create_project(
        &mut self,
        caller: &Caller,
        new: NewProject,
    ) -> Result<Project, StoreError> {
        access::may_create_project(caller)?;
        let name = valid_name("name", &new.name)?;
        self.require_fit(new.customer_id, Slot::Customer, "customer_id")?;
        let crew_ids = self.valid_crew(new.crew_ids.unwrap_or_default())?;
        let address = new.address.as_deref().map(valid_address).transpose()?;
        let id = self.new_id();
        let conversation = self.insert_conversation(
            ConversationKind::Project,
            new.customer_id,
            Some(id),
            Some(name.clone()),
        )?;
        let project = Project {
            id,
            name,
            customer_id: new.customer_id,
            address,
            crew_ids,
            status: ProjectStatus::Active,
            conversation_id: conversation.id,
            created_at: self.now,
            customer_first_name: None,
        };
        self.insert(
            |t| &mut t.customer_project,
            (project.customer_id.to_u128(), id.to_u128()),
            (),
        )?;
        self.assign_crew(id, &[], &project.crew_ids)?;
        self.put_project(&project)?;
        Ok(project)
    }

    /// `PATCH /projects/{id}` (staff).
    pub fn patch_project(
        &mut self,
        caller: &Caller,
        id: Id,
        patch: ProjectPatch,
    ) -> Result<Project, StoreError> {
        let mut project = self.visible_project(caller, id)?;
        access::may_change_project(caller)?;
        if let Some(name) = &patch.name {
            project.name = valid_name("name", name)?;
        }
        if let Some(address) = &patch.address {
            project.address = address.as_deref().map(valid_address).transpose()?;
        }
        if let Some(status) = patch.status {
            project.status = status;
        }
        if let Some(crew_ids) = patch.crew_ids {
            let crew_ids = self.valid_crew(crew_ids)?;
            self.assign_crew(id, &project.crew_ids, &crew_ids)?;
            project.crew_ids = crew_ids;
        }
        self.put_project(&project)?;
        Ok(project)
    }

    fn put_project(&mut self, project: &Project) -> Result<(), StoreError> {
        let bytes = encode(project)?;
        self.insert(|t| &mut t.project, project.id.to_u128(), bytes.as_slice())?;
        self.emit(
            project_audience(project),
            EventData::ProjectUpdated {
                project: Box::new(project.clone()),
            },
        )?;
        Ok(())
    }

    /// Moves the crew index from `old` to `new` assignments.
    fn assign_crew(&mut self, project: Id, old: &[Id], new: &[Id]) -> Result<(), StoreError> {
        let p = project.to_u128();
        for crew in old.iter().filter(|c| !new.contains(c)) {
            self.remove(|t| &mut t.crew_project, (crew.to_u128(), p))?;
        }
        for crew in new.iter().filter(|c| !old.contains(c)) {
            self.insert(|t| &mut t.crew_project, (crew.to_u128(), p), ())?;
        }
        Ok(())
    }

    /// Crew ids, each an existing crew user, without repeats.
    fn valid_crew(&self, mut ids: Vec<Id>) -> Result<Vec<Id>, StoreError> {
        ids.sort();
        ids.dedup();
        for id in &ids {
            self.require_fit(*id, Slot::Crew, "crew_ids")?;
        }
        Ok(ids)
    }

    /// `id` names an existing user who may fill `slot` (see
    /// [`access::fits`]), or the request is invalid on `field`.
    pub(super) fn require_fit(
        &self,
        id: Id,
        slot: Slot,
        field: &'static str,
    ) -> Result<(), StoreError> {
        match self.find_user(id)? {
            Some(u) if access::fits(slot, u.role) => Ok(()),
            Some(_) => Err(StoreError::invalid(
                field,
                format!("user {id} is not {}", slot.wanted()),
            )),
            None => Err(StoreError::invalid(
                field,
                format!("user {id} does not exist"),
            )),
        }
    }
}

fn valid_address(text: &str) -> Result<String, StoreError> {
    let text = text.trim();
    if text.chars().count() > 500 {
        return Err(StoreError::invalid(
            "address",
            "address must be at most 500 characters",
        ));
    }
    Ok(text.to_owned())
}
