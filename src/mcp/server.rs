//! The MCP handler: what the server says it is, its tools (`tools.rs`),
//! and each note as a resource, `folio://note/<id>`, listed a page at a
//! time. Every call reads a [`Snapshot`] of the index from its
//! [`Source`] and runs off the async workers; nothing here writes.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, ResourceTemplate,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};

use super::tools::{self, Refusal};
use super::{Snapshot, Source};
use crate::embed::Model;

/// Notes per page of `resources/list`.
pub const RESOURCES_PER_PAGE: usize = 200;
/// The resource URI of a note, before its id.
pub const NOTE_URI: &str = "folio://note/";

/// The MCP server over one index.
#[derive(Clone)]
pub struct Server {
    source: Source,
    model: Option<Arc<Model>>,
}

impl Server {
    /// A server reading the index through `source`, ranking by meaning with
    /// `model` when there is one.
    pub fn new(source: Source, model: Option<Arc<Model>>) -> Self {
        Server { source, model }
    }

    /// The snapshot to answer from, or why there is none, as a message.
    fn snapshot(&self) -> Result<Snapshot, String> {
        (self.source)()
    }
}

const INSTRUCTIONS: &str = "folio searches the reader's own book notes and highlights. Use \
    search_quotes for \"what did I highlight about X\" and quote the passages with their book, \
    author and page or location; search_notes for notes about a topic; get_note to read a \
    whole note; similar_quotes for passages like one found; index_stats for what is indexed.";

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(
                Implementation::new("folio", env!("CARGO_PKG_VERSION"))
                    .with_title("folio: the reader's notes and highlights"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::list()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if !tools::list().iter().any(|tool| tool.name == name) {
            return Err(unknown_tool(&name));
        }
        let server = self.clone();
        let arguments = request.arguments;
        let answer = tokio::task::spawn_blocking(move || {
            let snapshot = server.snapshot().map_err(Refusal::Message)?;
            tools::call(&name, arguments, &snapshot, server.model.as_ref())
        })
        .await
        .map_err(|e| ErrorData::internal_error(format!("the tool call failed: {e}"), None))?;
        match answer {
            Ok(result) => Ok(result.into()),
            Err(Refusal::Message(message)) => {
                Ok(rmcp::model::CallToolResult::error(vec![rmcp::model::ContentBlock::text(
                    message,
                )])
                .into())
            }
            Err(Refusal::UnknownTool(name)) => Err(unknown_tool(&name)),
        }
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let cursor = request.and_then(|r| r.cursor);
        let offset = match cursor.as_deref() {
            None => 0,
            Some(text) => text.parse::<usize>().map_err(|_| {
                ErrorData::invalid_params(
                    format!("cursor {text:?} is not one this server gave: list from the start"),
                    None,
                )
            })?,
        };
        let server = self.clone();
        let page = tokio::task::spawn_blocking(move || {
            let snapshot = server.snapshot()?;
            snapshot.engine.note_list(offset, RESOURCES_PER_PAGE).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| ErrorData::internal_error(format!("listing notes failed: {e}"), None))?
        .map_err(|message| ErrorData::internal_error(message, None))?;
        let (entries, total) = page;
        let next = offset + entries.len();
        let resources = entries
            .into_iter()
            .map(|entry| {
                let title = crate::output::mcp::book_line(&entry.note);
                Resource::new(format!("{NOTE_URI}{}", entry.id), entry.note.name.clone())
                    .with_title(title)
                    .with_description(format!("{} · {} quotes", entry.path, entry.quotes))
                    .with_mime_type("text/markdown")
            })
            .collect();
        let mut result = ListResourcesResult::with_all_items(resources);
        result.next_cursor = (next < total).then(|| next.to_string());
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let template = ResourceTemplate::new(format!("{NOTE_URI}{{id}}"), "note")
            .with_description("A note with its quotes, by its id (a hit's id or note_id)")
            .with_mime_type("text/markdown");
        Ok(ListResourceTemplatesResult::with_all_items(vec![template]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let Some(id) = uri.strip_prefix(NOTE_URI).map(str::to_string) else {
            return Err(ErrorData::resource_not_found(
                format!("{uri:?} is not a folio resource: they are {NOTE_URI}<id>"),
                None,
            ));
        };
        let server = self.clone();
        let view = tokio::task::spawn_blocking(move || {
            let snapshot = server.snapshot()?;
            snapshot.engine.note(&id).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| ErrorData::internal_error(format!("reading the note failed: {e}"), None))?
        .map_err(|message| ErrorData::internal_error(message, None))?;
        let Some(view) = view else {
            return Err(ErrorData::resource_not_found(
                format!("no note {uri:?} in the index (resources/list names them)"),
                None,
            ));
        };
        let text = crate::output::mcp::note_markdown(&view);
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, uri).with_mime_type("text/markdown"),
        ])
        .into())
    }
}

fn unknown_tool(name: &str) -> ErrorData {
    let known: Vec<String> = tools::list().iter().map(|t| t.name.to_string()).collect();
    ErrorData::invalid_params(
        format!(
            "unknown tool {:?}: this server has {}",
            name.chars().take(60).collect::<String>(),
            known.join(", ")
        ),
        None,
    )
}
