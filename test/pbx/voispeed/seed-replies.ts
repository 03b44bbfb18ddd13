/**
 * The VOIspeed Integration Guide's example replies, copied verbatim (typos, placeholders and padding
 * included) from the seed `003_cdd7582c497c49f9.txt` (specs/voispeed-24u.md S1), so the tolerant reader
 * in src/pbx/voispeed/wire.ts is tested against exactly what the guide shows.
 */

/** call_request in the Hello world: accepted */
export const HELLO_ACCEPTED = `<?xml version="1.0" encoding="UTF-8" ?>
<result>
<outcome>0</outcome>
<request_id>15652770917203</request_id>
</result>`;

/** a rejected request */
export const REJECTED_CONNECTION = `<?xml version="1.0" encoding="UTF-8" ?>
<result>
<outcome>1</outcome>
<error>connection not found</error></result>`;

/** User integration: rejected, padded */
export const USER_REJECTED_PADDED = `<?xml version="1.0" encoding="UTF-8" ?>
<result>
    <outcome>1</outcome>
    <error> error description </error>
</result>`;

/** User integration: accepted, padded request id */
export const USER_ACCEPTED_PADDED = `<?xml version="1.0" encoding="UTF-8" ?>
<result>
    <outcome>0</outcome>
    <request_id> 56732980 </request_id>
</result>`;

/** call_request result template */
export const CALL_REQUEST_RESULT = `<result> 
    <outcome>0 = Ok \\ 1 = KO </outcome>  
    <request_id> service request id </request_id> 
</result>`;

/** get_user_call_report: failed (the seed's <outcome1</outcome>) */
export const USER_CALL_REPORT_FAILED = `<result> 
    <outcome1</outcome>  
    <error> failure reason </error> 
</result> `;

/** get_user_call_report: successful (a template without close tags) */
export const USER_CALL_REPORT = `<result>
	<outcome>0 </outcome>
    <call>
	    <id> autoincrement 
	    <callid> Id communication
	    <start_time> call start time
	    <answer_time> Call answered time
	    <duration> duration in seconds
        <outcome> outcome (Appendices\\Table 8)
	    ..
	    <direction> direction of the call
	    <my_number> extension of the user
	    <remote_number> interlocutor number
	    <local_id> entity_call_id
	    <group_name>membership group name
	    ...
	    <company>company contact for "my_number"
	    <surname>contact surname for "my_number"
	    <name>name contact per “my_number”
	    <remote_company>contact company for "remote_number"
	    <remote_surname>contact surname for "my_number"
	    <remote_name> name contact per “my_number” 
    <call>
</result> `;

/** get_entities type 0: users */
export const ENTITIES_USERS = ` <result> 
    <outcome>0</outcome>  
	<users>
	        <user>
	    	    <id> User ID </id> 
	    	    <name> name</name>
	    	    <surname> surname</surname> 
	    	    <extension> extension </extension>
	    	    <email> email address </email>
	    	    <chat_status>(Appendices\\Table 2)</chat_status>
	    	    <av_status>(Appendices\\Table 2)</av_status>
	    	    <numoffice> office number</numoffice>
	    	    <numhome> home number </numhome>
	    	    <nummobile> mobile number </nummobile>
	    	    <numfax> fax number </numfax>
	    	    <phrase> User status description </phrase>
	        </user>
	</users>
 </result>`;

/** get_entities type 1: ring groups */
export const ENTITIES_GROUPS = `<result> 
   <outcome>0</outcome>
   <groups>	  
       <group>
   	    <id> id group_1name </id> 
   	    <name> group_1 name </name>
   	    <is_broadcast> group by announcement </is_broadcast> 
   	    <visible> visible in the UI </visible>
   	    <member_login> run time login off/on </member_login>
   	    <pick_disabled> pick up disabled call</pick_disabled>
   	    <ring_mode> Ring mode (Appendices\\Table 10)</ring_mode>
   	    <users>
	   	    <user>
		   	    <id> id User_1 </id>
		   	    <identity> identità User_1 </identity>
		   	    <extension>i nterno User_1 </extension>
	   	    </user>
	   	    ...
		    <user>
		   	    <id> id User_M </id>
		   	    <identity> identità User_M </identity>
		   	    <extension>interno User_M </extension>
	   	    </user>
   	    </users>
       </group>
       ....
       <group>
	   <id> id group_N </id> 
   	   <name> name group_N </name>
   	   ....
       </group>
</groups>
</result>`;

/** get_entities type 2: gateways */
export const ENTITIES_GATEWAYS = `<result> 
   <outcome>0</outcome>  
   <gateways>	       
       <gateway>
   	    <id> gateway id _1 </id> 
   	    <name> gateway_name 1 </name>
   	    <type> gateway_type 1 (Appendices\\Table 3) </type> 
   	    <enabled> enabled </enabled>
   	    <link_status> recording status (Appendices\\Table 4)</link_status>
   	    <lines> number total lines </lines>
   	    <busy_lines> number lines busy</busy_lines>
   	    <host_port> IP and gateway port_1</host_port>	   	   
       </gateway>
       ....
       <gateway>
	   <id> id gateway_N </id> 
   	   <name> name gateway_N </name>
   	   ....
      </gateway>
   </gateways>
</result>`;

/** get_entities type 3: IVRs */
export const ENTITIES_IVRS = `<result> 
   <outcome>0</outcome>  
   <ivrs>
     <ivr>
       <id> ivr_1 id</id> 
	   <name> ivr1_1 name </name>
	   <description> Description ivr_1 </description>
	   <nodes>
	     <node>
   	       <node_id> id node_1 </node_id>
		   <parent_id> id parent node </parent_id>
		   <description> node desc_1 </description>
		   <select_key> entrance key </select_key>
		   <go_back_key> return key </go_back_key>
		   <audio_type> 1 (audio_file) </audio_type>
		   <audio_message> audio node file </audio_message>
		   <audio_loop> 1=continuos ring - 0=una once</audio_loop>
		   <input_type> input type (Appendices\\Table 11) </input_type>
		   <input_length> (only for input_type=1) expected input length </input_length>
		   <term_char> (only for input_type=2) character termination input </term_char>
		   <timeout_last_digit> (only for input_type=3) wating time from last digit </timeout_last_digit>
		   <waiting_input_time> max waiting time input </waiting_input_time>
		   <action> Node action (Appendices\\Table 12) </action>
		   <called_type> (only for action=2) Type of entity to call -  (Appendices\\Table 1) </called_type>
		   <called_id> (only for action=2) ID to call </called_id>
		   <called_external_number> (only for action=2) number to call</called_external_number>
		   <script> (only for action=3) script to run </script>				   	    
		   ....
		   ....
		 <node>
		   <node_id> ID nodo_M </node_id>
		   ...
		   ...
		 </node>
	   <nodes>
   	 </ivr>
   	 ...
   	 ...
   	 <ivr>
	   <id> ID ivr N <id>
	   <name> name ivr N </name>
	   ...
	   <nodes>
	     <node>
		   nodo 1.N
		 </node>
		 ....
		 ....
		 <node>
		   nodo M.N
		 </node>			   	    
	   </nodes>
   	 </ivr>	   	    
   </ivrs>
</result>`;

/** get_entities type 7: terminals */
export const ENTITIES_DEVICES = `<result> 
  <outcome>0</outcome>
  <devices>  
        <device>
	   	  <id> ID terminale_1 </id> 
	   	  <user_agent> user agent of terminal_1 </user_agent>
	   	  <device_type>terminal_1 (Appendices\\Table 5) </device_type> 
	   	  <host_port> IP and terminal port </host_port>
	   	  <registered> 1/0 - registrato/non_registrato </registered>
        </device>
        ....
	<device>
		  <id> ID device_N </id> 
	   	  ....
	   	  ....
	</device>
   </devices>
</result>`;

/** get_entities type 8: company voicemail (no outcome) */
export const ENTITIES_VOICEMAILS = `<result>
	<voicemails>
	  <voicemail>
	    <id> ID casella vocale  </id>
	    <vmid> ID generale casella vocale aziendale </vmid>
	    <vmname> name casella vocale</vmname>
	    <vmcode> number da chiamare per accedere alla gestione della casella </vmcode>
	    <vmtobelisten>1/0 ci sono/non ci sono nuovi messaggi </vmtobelisten>
	    <rectobelisten>1/0 ci sono/non ci sono nuove registrazioni </rectobelisten>
	  </voicemail>
      .....
	  <voicemail>
	    <id> ID casella vocale  </id>
	    ....
	  </voicemail>	
	</voicemails>
</result>`;

/** get_entities type 11: park lines (no outcome) */
export const ENTITIES_PARK_LINES = `<result>
  <lines>
    <park_line>
      <id> Parking Line ID  </id>
      <linecode> Code access to the line </linecode>
      <number> number parked </number>
      <name>Name of contact in the address book </name>
      <parktime> parking date time YYYY-MM-DD hh:mm:ss</parktime>
      <status> parking line status (Appendices\\Table 2) </status>
      <note> note from the parking user </note>
      <user_id> ID of the parking user<user_id>
    </park_line>
  </lines>
</result>`;

/** get_call_report */
export const CALL_REPORT = `<result> 
  <outcome>0</outcome>  
  <call>
     <id> call identification</id>  
     <start_time> call start time </start_time>  
     <duration> duration of the call in seconds </duration>    	
     <outcome> outcome of the call (Appendix \\ Table 8) </outcome>
     <calling_id> id of the calling entity </calling_id
     <calling_type> calling entity type </calling_type>  
     <calling_number> calling number </calling_number>  
     <called_id> id of the called entity </called_id>  
     <called_type> entity type called </called_type>  
     <called_number> number called </called_number> 
     <connected_id> id of last connected entity </connected _id>  
     <connected _type> type of last connected entity </connected _type>
     <connected _number> last number connected </connected _number>
     <ring_time> ring time in seconds</ring_time>  
     <hold_time> waiting time in seconds </hold_time> 
     <ivr_time> time spent in IVR in seconds </ivr_time>  
     <talk_time> actual conversAction time </talk_time>  
     <queue_time> time in queue for a group </queue_time>  
     <call_ref_if> call id of the transferred call 
     </call_ref_id>  
     <external_id> iexternal id specified via service call_req_ext </external_id>
     <gateway_in> outgoing call from gateway</gateway_in>
     <gateway_out>incoming call from gateway</gateway_out>  
     <internal> call between extensions </internal> 
   <call>
 </result> `;

/** get_current_calls */
export const CURRENT_CALLS = `<result> 
  <outcome>0</outcome>  
  <call>
     <id> call identification</id>  
     <start_time> call start time </start_time>  
     <calling_id> id of the calling entity </calling_id
     <calling_type> calling entity type </calling_type>  
     <calling_number> calling number </calling_number>  
     <calling_desc> identity of the caller </calling_desc>  
     <called_id> id of the called entity </called_id>  
     <called_type> entity type called </called_type>  
     <called_number> number called </called_number> 
     <called_desc> identity of the person called </called_desc>  
     <connected_id> id of entity connected </connected _id>  
     <connected_type> entity type connected </connected _type>
     <connected_desc> identity of connected </connected_desc>
     <recording> 1/0 in recording</recording>  
     <external_id> external id </external_id>
     <p2p> 1/0 peer to peer active </p2p>
     <codec> current codec code </codec>
   <call>
 </result>`;

/** add_phonebook */
export const ADD_PHONEBOOK = `<result> 
    <outcome>0</outcome>
    <contact_id> ID del contatto </contact_id>
</result> `;

/** get_phonebook (a contact without a result element) */
export const GET_PHONEBOOK = `<contact>  
  <name> Name of contact </name>
  <surname> Surname of contact  </surname>
  <company> Company of contact </company>
  <office> Office number  </office>
  <home> Home number </home>
  <mobile> Mobile number </mobile>
  <fax> Fax number </fax>
  <other> Other number </other>
  <email> Email address </email>
  <is_favourite> 1\\0 preferred contact or not </is_favourite>
</contact> `;

/** call_request_ext: successful */
export const CALL_REQUEST_EXT_OK = `<result>  
  <outcome> 0 </outcome>    
  <request_id> request id </request_id>
</result> `;

/** call_request_ext: negative */
export const CALL_REQUEST_EXT_FAILED = `<result>  
  <outcome> 1 </outcome>    
  <error> error description </error>
</result> `;

/** phonebook_import_sync: basic output */
export const IMPORT_BASIC = `<result> 
    <outcome>0</outcome>
    <processed>N contacts processed by the service </processed>
	<skipped>N contacts skipped because they are invalid</skipped>
	<warnings>N contacts imported but which generated an alert</warnings>
	<errors>N contacts not imported due to server errors</errors>
</result> `;

/** phonebook_import_sync: extended output */
export const IMPORT_VERBOSE = `<result> 
    <outcome>0</outcome>
    <processed>N contacts processed by the service </processed>
	<skipped>N contacts skipped because they are invalid</skipped>
	<warnings>N contacts imported but which generated an alert</warnings>
	<errors>N contacts not imported due to server errors</errors>
	<contacts>
		<contact>
			<uc_external_id>contact identifier for the third party application</uc_external_id>
			<id>VOIspeed contact identifier</id>
			<act>Action performed during the contact processing (insert / update)</act>
			<info>any error or warning message</info>
		</contact>
		...
		...
		...
		<contact>
			<uc_external_id>contact identifier for the third party application</uc_external_id>
			<id>VOIspeed contact identifier</id>
			<act>Action performed during the contact processing (insert /  update)</act>
			<info>any error or warning message</info>
		</contact>
	</contacts>
</result> `;
