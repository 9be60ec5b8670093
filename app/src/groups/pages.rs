//! The group pages: `/o/{org}/groups` and `/o/{org}/groups/{id}`.

use leptos::prelude::*;

use super::{
    AddGroupMembers, CreateGroup, DeleteGroup, GroupDetail, GroupMember, MembershipCheck,
    RemoveGroupMembers, UpdateGroup, check_group_membership, find_group_candidates, list_groups,
    load_group,
};
use crate::components::{ErrorPanel, FormError, TypedConfirmation};
use crate::directory::{GroupTable, Notice, id_param, loading, query_param};
use crate::home::org_param;

#[component]
pub fn GroupsPage() -> impl IntoView {
    let org = org_param();
    let search = query_param("search");
    let create = ServerAction::<CreateGroup>::new();
    let groups = Resource::new(
        move || (org.get(), search.get(), create.version().get()),
        |(org, search, _)| list_groups(org, Some(search)),
    );
    view! {
        <h1>"Groups"</h1>
        <Notice />
        <section class="panel">
            <form method="get" class="inline" role="search" aria-label="Search groups">
                <input type="search" name="search" value=move || search.get() aria-label="Group name" placeholder="Group name" />
                <button type="submit">"Search"</button>
            </form>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match groups.await {
                        Ok(list) => {
                            view! {
                                <GroupTable
                                    org=org.get_untracked()
                                    list
                                    section="groups"
                                    label="Groups"
                                    members_label="Members"
                                    empty="No group matches."
                                />
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="panel">
            <h2>"Create a group"</h2>
            <ActionForm action=create attr:class="stack" attr:aria-label="Create a group">
                <FormError result=create.value() />
                <input type="hidden" name="org" value=move || org.get() />
                <label>"Name" <input type="text" name="name" required maxlength="200" /></label>
                <label>"Description" <input type="text" name="description" maxlength="1000" /></label>
                <button type="submit" class="primary">"Create group"</button>
            </ActionForm>
        </section>
    }
}

/// The forms of the group page, created inside the route so failed no-JS submissions
/// show their errors.
#[derive(Clone, Copy)]
struct GroupActions {
    update: ServerAction<UpdateGroup>,
    delete: ServerAction<DeleteGroup>,
    add: ServerAction<AddGroupMembers>,
    remove: ServerAction<RemoveGroupMembers>,
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let org = org_param();
    let id = id_param();
    let find = query_param("find");
    let check_user = query_param("check");
    let actions = GroupActions {
        update: ServerAction::new(),
        delete: ServerAction::new(),
        add: ServerAction::new(),
        remove: ServerAction::new(),
    };
    let changes = move || {
        (
            actions.update.version().get(),
            actions.add.version().get(),
            actions.remove.version().get(),
        )
    };
    let detail = Resource::new(
        move || (org.get(), id.get(), changes()),
        |(org, id, _)| load_group(org, id),
    );
    let candidates = Resource::new(
        move || (org.get(), find.get()),
        |(org, find)| find_group_candidates(org, Some(find)),
    );
    let check = Resource::new(
        move || (org.get(), id.get(), check_user.get(), changes()),
        |(org, id, user, _)| check_group_membership(org, id, Some(user)),
    );
    view! {
        <p><a href=move || format!("/o/{}/groups", org.get())>"← Groups"</a></p>
        <Notice />
        <FormError result=actions.add.value() />
        <FormError result=actions.remove.value() />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(group) => {
                        let can_manage = group.can_manage;
                        view! {
                            <GroupView org=org.get_untracked() group actions />
                            <MembershipCheckPanel checked=check_user.get_untracked() check />
                            {can_manage.then(|| view! {
                                <AddMembersPanel org=org.get_untracked() find=find.get_untracked() candidates actions />
                            })}
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GroupView(org: String, group: GroupDetail, actions: GroupActions) -> impl IntoView {
    let GroupDetail {
        id,
        name,
        description,
        members,
        applications,
        system_groups,
        can_manage,
    } = group;
    let count = members.len();
    let (remove_org, remove_id) = (org.clone(), id.clone());
    view! {
        <h1>{name.clone()}</h1>
        <p class="lead">{description.clone()}</p>
        <section class="panel">
            <h2>{format!("Members ({count})")}</h2>
            <ActionForm action=actions.remove attr:aria-label="Remove members">
                <input type="hidden" name="org" value=remove_org />
                <input type="hidden" name="id" value=remove_id />
                <MemberTable members field="remove" selectable=can_manage />
                {can_manage.then(|| view! { <button type="submit" class="danger">"Remove selected"</button> })}
            </ActionForm>
        </section>
        <section class="panel">
            <h2>"Applications"</h2>
            {if applications.is_empty() {
                view! { <p class="empty">"No application is bound to this group."</p> }.into_any()
            } else {
                view! {
                    <ul aria-label="Applications of the group">
                        {applications
                            .into_iter()
                            .map(|app| view! { <li><a href=format!("/o/{org}/apps/{}", app.id)>{app.name}</a></li> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
        <section class="panel">
            <h2>"System groups"</h2>
            {if system_groups.is_empty() {
                view! { <p class="empty">"No system group is bound to this group."</p> }.into_any()
            } else {
                let org = org.clone();
                view! {
                    <ul aria-label="System groups of the group">
                        {system_groups
                            .into_iter()
                            .map(|group| view! { <li><a href=format!("/o/{org}/system-groups/{}", group.id)>{group.name}</a></li> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
        {can_manage.then(|| view! { <GroupEditing org=org.clone() id=id.clone() name=name.clone() description=description.clone() actions /> })}
    }
}

/// The members, each with a checkbox named `user_ids[n]` when the table is part of a form.
#[component]
fn MemberTable(members: Vec<GroupMember>, field: &'static str, selectable: bool) -> impl IntoView {
    if members.is_empty() {
        return view! { <p class="empty">"Nobody."</p> }.into_any();
    }
    view! {
        <table class="data" aria-label=format!("Users to {field}")>
            <thead>
                <tr>
                    {selectable.then(|| view! { <th scope="col">"Select"</th> })}
                    <th scope="col">"Username"</th>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                </tr>
            </thead>
            <tbody>
                {members
                    .into_iter()
                    .enumerate()
                    .map(|(index, member)| {
                        let label = format!("Select {}", member.username);
                        view! {
                            <tr>
                                {selectable.then(|| view! {
                                    <td><input type="checkbox" name=format!("user_ids[{index}]") value=member.id.clone() aria-label=label /></td>
                                })}
                                <td>{member.username}</td>
                                <td>{member.name}</td>
                                <td>{member.email}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn AddMembersPanel(
    org: String,
    find: String,
    candidates: Resource<Result<Vec<GroupMember>, crate::error::AppError>>,
    actions: GroupActions,
) -> impl IntoView {
    let id = id_param();
    view! {
        <section class="panel">
            <h2>"Add members"</h2>
            <form method="get" class="inline" role="search" aria-label="Find users">
                <input type="search" name="find" value=find aria-label="Find users" placeholder="Name, username or email" />
                <button type="submit">"Find"</button>
            </form>
            <ActionForm action=actions.add attr:class="stack" attr:aria-label="Add members">
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="id" value=move || id.get() />
                <Suspense fallback=loading>
                    {move || Suspend::new(async move {
                        match candidates.await {
                            Ok(found) => view! { <MemberTable members=found field="add" selectable=true /> }.into_any(),
                            Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
                <label>
                    "Or type usernames or emails, one per line"
                    <textarea name="usernames" rows="3"></textarea>
                </label>
                <button type="submit" class="primary">"Add to group"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn MembershipCheckPanel(
    checked: String,
    check: Resource<Result<Option<MembershipCheck>, crate::error::AppError>>,
) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Check membership"</h2>
            <form method="get" class="inline" aria-label="Check membership">
                <input type="text" name="check" value=checked aria-label="Username or email" placeholder="Username or email" />
                <button type="submit">"Check"</button>
            </form>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match check.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(result)) if result.paths.is_empty() => {
                            view! { <p data-testid="membership-result">{format!("{} is not a member of this group.", result.user)}</p> }.into_any()
                        }
                        Ok(Some(result)) => {
                            view! {
                                <div data-testid="membership-result">
                                    <p>{format!("{} is a member, through:", result.user)}</p>
                                    <ul>{result.paths.into_iter().map(|path| view! { <li>{path}</li> }).collect_view()}</ul>
                                </div>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn GroupEditing(
    org: String,
    id: String,
    name: String,
    description: String,
    actions: GroupActions,
) -> impl IntoView {
    let (delete_org, delete_id) = (org.clone(), id.clone());
    let expected = name.clone();
    view! {
        <section class="panel">
            <h2>"Edit"</h2>
            <ActionForm action=actions.update attr:class="stack" attr:aria-label="Edit group">
                <FormError result=actions.update.value() />
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="id" value=id />
                <label>"Name" <input type="text" name="name" required maxlength="200" value=name /></label>
                <label>"Description" <input type="text" name="description" maxlength="1000" value=description /></label>
                <button type="submit" class="primary">"Save"</button>
            </ActionForm>
        </section>
        <section class="panel danger-zone">
            <h2>"Delete this group"</h2>
            <ActionForm action=actions.delete attr:class="stack" attr:aria-label="Delete group">
                <FormError result=actions.delete.value() />
                <input type="hidden" name="org" value=delete_org />
                <input type="hidden" name="id" value=delete_id />
                <TypedConfirmation expected />
                <button type="submit" class="danger">"Delete group"</button>
            </ActionForm>
        </section>
    }
}
