//! The device pages: `/o/{org}/devices` and `/o/{org}/devices/{id}`.

use leptos::prelude::*;

use super::{
    COMMANDS, DeviceDetail, DeviceList, DeviceRow, RunSystemCommand, SetDeviceApproval,
    list_systems, load_system,
};
use crate::components::{Badge, ErrorPanel, FormError, Pager, TypedConfirmation};
use crate::directory::{Notice, ObjectRef, id_param, loading, query_param};
use crate::home::org_param;

const SORTS: [(&str, &str); 4] = [
    ("", "Name"),
    ("os", "OS and version"),
    ("-last_contact", "Last contact, newest first"),
    ("last_contact", "Last contact, oldest first"),
];

#[component]
pub fn DevicesPage() -> impl IntoView {
    let org = org_param();
    let filters = ["os", "unencrypted", "stale_days", "no_mdm", "sort", "skip"].map(query_param);
    let approval = ServerAction::<SetDeviceApproval>::new();
    let list = Resource::new(
        move || {
            (
                org.get(),
                filters.map(|filter| filter.get()),
                approval.version().get(),
            )
        },
        |(org, [os, unencrypted, stale_days, no_mdm, sort, skip], _)| {
            list_systems(
                org,
                Some(os),
                Some(unencrypted),
                Some(stale_days),
                Some(no_mdm),
                Some(sort),
                skip.parse().ok(),
            )
        },
    );
    view! {
        <h1>"Devices"</h1>
        <Notice />
        <FormError result=approval.value() />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! { <DeviceListView org=org.get_untracked() list approval /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DeviceListView(
    org: String,
    list: DeviceList,
    approval: ServerAction<SetDeviceApproval>,
) -> impl IntoView {
    let [os, unencrypted, stale_days, no_mdm, sort] =
        ["os", "unencrypted", "stale_days", "no_mdm", "sort"]
            .map(|name| query_param(name).get_untracked());
    let query = crate::components::query_string([
        ("os", os.as_str()),
        ("unencrypted", unencrypted.as_str()),
        ("stale_days", stale_days.as_str()),
        ("no_mdm", no_mdm.as_str()),
        ("sort", sort.as_str()),
    ]);
    let shown = list.rows.len();
    view! {
        <section class="panel">
            <form method="get" class="filters" aria-label="Filter devices">
                <label>
                    "Operating system"
                    <select name="os">
                        <option value="">"Any"</option>
                        {list.os_families.iter().map(|family| view! {
                            <option value=family.clone() selected=*family == os>{family.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="choice"><input type="checkbox" name="unencrypted" value="on" checked=!unencrypted.is_empty() />"Not encrypted"</label>
                <label class="choice"><input type="checkbox" name="no_mdm" value="on" checked=!no_mdm.is_empty() />"No MDM"</label>
                <label>"Not seen for (days)" <input type="number" name="stale_days" min="1" value=stale_days.clone() /></label>
                <label>
                    "Sort by"
                    <select name="sort">
                        {SORTS.iter().map(|(value, label)| view! {
                            <option value=*value selected=*value == sort>{*label}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Apply"</button>
            </form>
            <p>
                <a href=format!("/o/{org}/devices/fleet.csv") rel="external" download="fleet.csv">"Download the fleet report (CSV)"</a>
            </p>
            <DeviceTable org=org.clone() rows=list.rows />
            <Pager path=format!("/o/{org}/devices") query skip=list.skip limit=list.limit shown total=Some(list.total) />
        </section>
        <section class="panel">
            <h2>"Lock and erase"</h2>
            <p data-testid="approval-setting">
                {if list.approval_required {
                    "Lock and erase need an approved request in this organization."
                } else {
                    "Lock and erase run directly from a device's page."
                }}
            </p>
            {list.can_manage_org.then(|| view! {
                <ActionForm action=approval attr:class="inline" attr:aria-label="Device approval setting">
                    <input type="hidden" name="org" value=org.clone() />
                    <label class="choice">
                        <input type="checkbox" name="required" value="on" checked=list.approval_required />
                        "Require an approved request to lock or erase a device"
                    </label>
                    <button type="submit">"Save"</button>
                </ActionForm>
            })}
        </section>
    }
}

fn encryption_badge(encrypted: Option<bool>) -> impl IntoView {
    match encrypted {
        Some(true) => view! { <Badge tone="ok" text="Encrypted" /> },
        Some(false) => view! { <Badge tone="danger" text="Not encrypted" /> },
        None => view! { <Badge tone="muted" text="Unknown" /> },
    }
}

fn mdm_label(mdm: &str) -> &'static str {
    match mdm {
        "internal" => "JumpCloud MDM",
        "external" => "Other MDM",
        "none" => "None",
        _ => "Unknown",
    }
}

#[component]
pub(crate) fn DeviceTable(org: String, rows: Vec<DeviceRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No device matches."</p> }.into_any();
    }
    view! {
        <table class="data" aria-label="Devices">
            <thead>
                <tr>
                    <th scope="col">"Device"</th>
                    <th scope="col">"OS"</th>
                    <th scope="col">"Platform"</th>
                    <th scope="col">"Serial"</th>
                    <th scope="col">"Vendor"</th>
                    <th scope="col">"Agent"</th>
                    <th scope="col">"Last contact"</th>
                    <th scope="col">"Disk"</th>
                    <th scope="col">"MDM"</th>
                    <th scope="col">"Primary user"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|device| view! {
                    <tr>
                        <td><a href=format!("/o/{org}/devices/{}", device.id)>{device.name}</a><br /><span class="muted">{device.hostname}</span></td>
                        <td>{device.os}</td>
                        <td>{format!("{} {}", device.os_family, device.arch)}</td>
                        <td><code>{device.serial}</code></td>
                        <td>{device.vendor}</td>
                        <td>{device.agent_version}</td>
                        <td>{device.last_contact.map(|(at, ago)| view! { <time title=at>{ago}</time> })}</td>
                        <td>{encryption_badge(device.encrypted)}</td>
                        <td>{mdm_label(&device.mdm)}</td>
                        <td>{device.primary_user}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn DevicePage() -> impl IntoView {
    let org = org_param();
    let id = id_param();
    let run = ServerAction::<RunSystemCommand>::new();
    let detail = Resource::new(
        move || (org.get(), id.get(), run.version().get()),
        |(org, id, _)| load_system(org, id),
    );
    view! {
        <p><a href=move || format!("/o/{}/devices", org.get())>"← Devices"</a></p>
        <Notice />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <DeviceView org=org.get_untracked() detail run /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn object_list(
    org: String,
    section: &str,
    label: &'static str,
    objects: Vec<ObjectRef>,
) -> impl IntoView {
    if objects.is_empty() {
        return view! { <p class="empty">"None."</p> }.into_any();
    }
    view! {
        <ul aria-label=label>
            {objects.into_iter().map(|object| view! {
                <li><a href=format!("/o/{org}/{section}/{}", object.id)>{object.name}</a></li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn DeviceView(
    org: String,
    detail: DeviceDetail,
    run: ServerAction<RunSystemCommand>,
) -> impl IntoView {
    let DeviceDetail {
        device,
        users,
        groups,
        policies,
        commands,
        queued,
        approval_required,
        can_manage,
    } = detail;
    let builtin_capable = device.os_family == "linux" || device.os_family == "windows";
    view! {
        <h1>{device.name.clone()}</h1>
        <section class="panel">
            <dl class="facts">
                <dt>"Hostname"</dt><dd>{device.hostname.clone()}</dd>
                <dt>"OS"</dt><dd>{device.os.clone()} " (" {device.os_family.clone()} ", " {device.arch.clone()} ")"</dd>
                <dt>"Serial"</dt><dd><code>{device.serial.clone()}</code></dd>
                <dt>"Vendor"</dt><dd>{device.vendor.clone()}</dd>
                <dt>"Agent"</dt><dd>{device.agent_version.clone()}</dd>
                <dt>"Last contact"</dt><dd>{device.last_contact.clone().map(|(at, ago)| format!("{ago} ({at})"))}</dd>
                <dt>"Disk encryption"</dt><dd>{encryption_badge(device.encrypted)}</dd>
                <dt>"MDM"</dt><dd>{mdm_label(&device.mdm)}</dd>
                <dt>"Primary user"</dt><dd>{device.primary_user.clone()}</dd>
                <dt>"Queued commands"</dt><dd data-testid="queued-commands">{if queued.is_empty() { "none".to_string() } else { queued.join(", ") }}</dd>
            </dl>
        </section>
        <section class="panel">
            <h2>"Users"</h2>
            {object_list(org.clone(), "users", "Users of the device", users)}
            <h2>"Groups"</h2>
            {object_list(org.clone(), "system-groups", "Groups of the device", groups)}
        </section>
        <section class="panel">
            <h2>"Policies"</h2>
            {if policies.is_empty() {
                view! { <p class="empty">"No policy applies."</p> }.into_any()
            } else {
                view! {
                    <table class="data" aria-label="Policy results">
                        <thead><tr><th scope="col">"Policy"</th><th scope="col">"State"</th><th scope="col">"Finished"</th></tr></thead>
                        <tbody>
                            {policies.into_iter().map(|outcome| view! {
                                <tr><td>{outcome.policy.name}</td><td>{outcome.state}</td><td>{outcome.ended_at}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <h2>"Recent command results"</h2>
            {if commands.is_empty() {
                view! { <p class="empty">"No command has run here."</p> }.into_any()
            } else {
                view! {
                    <table class="data" aria-label="Command results">
                        <thead><tr><th scope="col">"Command"</th><th scope="col" class="num">"Exit code"</th><th scope="col">"Requested"</th></tr></thead>
                        <tbody>
                            {commands.into_iter().map(|outcome| view! {
                                <tr><td>{outcome.name}</td><td class="num">{outcome.exit_code}</td><td>{outcome.requested_at}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        {can_manage.then(|| view! {
            <section class="panel danger-zone">
                <h2>"Security commands"</h2>
                <p class="hint">
                    "Lock, restart, shut down and erase are JumpCloud built-in commands for Linux and Windows devices. macOS devices take them through Apple MDM, with a PIN, which Lanyard does not send yet."
                </p>
                <FormError result=run.value() />
                {if builtin_capable {
                    COMMANDS.iter().map(|(command, label)| {
                        let blocked = approval_required && super::needs_approval(command);
                        view! { <CommandForm org=org.clone() device=device.clone() command label blocked run /> }
                    }).collect_view().into_any()
                } else {
                    view! { <p class="empty">"Not available for this device."</p> }.into_any()
                }}
            </section>
        })}
    }
}

#[component]
fn CommandForm(
    org: String,
    device: DeviceRow,
    command: &'static str,
    label: &'static str,
    blocked: bool,
    run: ServerAction<RunSystemCommand>,
) -> impl IntoView {
    if blocked {
        return view! {
            <p class="hint">{format!("{label}: this organization requires an approved request; requests are not built yet.")}</p>
        }
        .into_any();
    }
    view! {
        <ActionForm action=run attr:class="inline" attr:aria-label=format!("{label} device")>
            <input type="hidden" name="org" value=org />
            <input type="hidden" name="id" value=device.id.clone() />
            <input type="hidden" name="command" value=command />
            {if command == "erase" {
                view! { <TypedConfirmation expected=device.hostname.clone() /> }.into_any()
            } else {
                view! {
                    <label class="choice">
                        <input type="checkbox" name="confirm" value="yes" required />
                        {format!("{label} {}", device.hostname)}
                    </label>
                }
                    .into_any()
            }}
            <button type="submit" class="danger">{label}</button>
        </ActionForm>
    }
    .into_any()
}
